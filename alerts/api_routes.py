from . import api
from .notifications import api as notices_api


def register(router) -> None:
    router.register("cases", api.CaseViewSet, basename="case")
    router.register("rules", api.RuleViewSet, basename="rule")
    router.register("notices", notices_api.NoticeViewSet, basename="notice")
