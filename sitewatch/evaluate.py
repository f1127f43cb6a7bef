"""Pure evaluation, ``(state, poll result, now) → (state, transitions)``; the code lives in
``sitewatch.evaluation`` (split by concern), this is the name the design uses for it."""

from sitewatch.evaluation import (
    BATTERY_CONDITIONS,
    ConditionState,
    SiteContext,
    SiteEvalState,
    evaluate,
    evaluate_trap,
    site_context,
)

__all__ = ["BATTERY_CONDITIONS", "ConditionState", "SiteContext", "SiteEvalState", "evaluate", "evaluate_trap",
           "site_context"]
