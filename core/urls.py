"""URLs: log in and password reset, health, the Django admin, the API, and the web pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from . import views
from .health import health
from .routers import api_router

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    # Namespaced: the API's route names (case-detail, rule-preview, ...) must not shadow the
    # web pages of the same name.
    path("api/", include((api_router.urls, "api"))),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # The web pages: recording (schools) and casework, rules and notices (alerts).
    path("", include("schools.urls")),
    path("", include("alerts.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
