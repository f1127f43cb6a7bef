"""Evaluation: poll results and traps → incident transitions, pure and with the time passed in.

``evaluate`` / ``evaluate_trap`` take and return a ``SiteEvalState`` (hold timers, flap history,
battery window) that the store persists as JSON, and a ``SiteContext`` built once per site with
``site_context(config, site)``.
"""

from sitewatch.evaluation.condition_state import ConditionState, SiteEvalState
from sitewatch.evaluation.context import SiteContext, site_context
from sitewatch.evaluation.engine import BATTERY_CONDITIONS, evaluate, evaluate_trap

__all__ = ["BATTERY_CONDITIONS", "ConditionState", "SiteContext", "SiteEvalState", "evaluate", "evaluate_trap",
           "site_context"]
