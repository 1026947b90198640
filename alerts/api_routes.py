from . import api


def register(router) -> None:
    router.register("cases", api.CaseViewSet, basename="case")
    router.register("rules", api.RuleViewSet, basename="rule")
