from . import api, api_lab
from .notifications import api as notices_api


def register(router) -> None:
    router.register("cases", api.CaseViewSet, basename="case")
    router.register("rules", api.RuleViewSet, basename="rule")
    router.register("notices", notices_api.NoticeViewSet, basename="notice")
    router.register("outcomes", api_lab.OutcomeViewSet, basename="outcome")
    router.register("backtests", api_lab.BacktestViewSet, basename="backtest")
