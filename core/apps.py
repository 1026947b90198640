from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts and audit"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .second_factor import mark_session

        # Decided once per sign-in (the password step), whatever signed the person in: the
        # login page, the admin's, or a test's force_login.
        user_logged_in.connect(
            lambda sender, request, user, **kw: mark_session(request, user) if request else None,
            dispatch_uid="core.second_factor.mark_session",
            weak=False,
        )
