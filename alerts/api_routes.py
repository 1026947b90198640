from . import api, api_lab, api_notices


def register(router) -> None:
    router.register("cases", api.CaseViewSet, basename="case")
    router.register("rules", api.RuleViewSet, basename="rule")
    router.register("notices", api_notices.NoticeViewSet, basename="notice")
    router.register("outcomes", api_lab.OutcomeViewSet, basename="outcome")
    router.register("backtests", api_lab.BacktestViewSet, basename="backtest")
