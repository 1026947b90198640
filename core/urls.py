"""URLs: log in and password reset, health, the Django admin, the API, and the web pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import account_views, views
from .api_auth import ObtainTokenView, RevokeTokenView
from .health import health
from .routers import api_router

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/code/", account_views.login_code, name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/second-factor/", account_views.second_factor_page, name="second-factor"),
    path(
        "account/second-factor/recovery-codes/",
        account_views.recovery_codes_new,
        name="recovery-codes-new",
    ),
    path(
        "account/second-factor/remove/",
        account_views.second_factor_remove,
        name="second-factor-remove",
    ),
    path("account/tokens/", account_views.tokens, name="tokens"),
    path(
        "account/tokens/<uuid:public_id>/revoke/", account_views.token_revoke, name="token-revoke"
    ),
    path(
        "password-reset/",
        views.StaffPasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("profile/", views.profile, name="profile"),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    # Namespaced: the API's route names (case-detail, rule-preview, ...) must not shadow the
    # web pages of the same name.
    path("api/", include((api_router.urls, "api"))),
    path("api/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/auth/token/revoke/", RevokeTokenView.as_view(), name="api-token-revoke"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # The web pages: recording (schools) and casework, rules and notices (alerts).
    path("", include("schools.urls")),
    path("", include("alerts.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
