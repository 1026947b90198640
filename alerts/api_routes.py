from . import api, api_notices


def register(router) -> None:
    router.register("cases", api.CaseViewSet, basename="case")
    router.register("rules", api.RuleViewSet, basename="rule")
    router.register("notices", api_notices.NoticeViewSet, basename="notice")
