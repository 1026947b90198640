from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Warning signs and cases"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from schools.models import School

        # The one signal of the project, and why: every school must get the default rules
        # the moment it exists, whoever creates it (admin, API, seed_demo, a test factory),
        # yet schools must not import alerts (dependencies point alerts -> schools). A
        # receiver registered here is the only way to keep both. It calls one service.
        post_save.connect(
            _install_default_rules, sender=School, dispatch_uid="alerts_default_rules"
        )


def _install_default_rules(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        from .services import rules_install_defaults

        rules_install_defaults(school=instance)
