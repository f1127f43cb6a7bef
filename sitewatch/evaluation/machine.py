"""One condition's life: hold before opening, clear hold before resolving, flap detection.

The raw state (already through the numeric hysteresis) is observed at each poll or trap.
A condition opens once it has been raw-active for its hold; it resolves once raw-clear for its
clear hold. Every change of the raw state is remembered for ``flap_window`` seconds: at
``flap_threshold`` changes the incident is open *and flapping* (opened flapping, or a FLAPPING
transition) and stays open however the raw state moves; when the changes in the window fall to
half the threshold or fewer it is STEADY again, and RESOLVED with it if clear for its clear hold.
Unknown (None) observations never reach this module.
"""

from __future__ import annotations

from sitewatch.core.conditions import TransitionKind
from sitewatch.evaluation.condition_state import ConditionState

__all__ = ["Timing", "step"]

Timing = tuple[float, float, float, int]  #: (hold, clear hold, flap window, flap threshold)

_OPENED, _RESOLVED = TransitionKind.OPENED, TransitionKind.RESOLVED
_FLAPPING, _STEADY = TransitionKind.FLAPPING, TransitionKind.STEADY


def step(cs: ConditionState, raw: bool, now: float, timing: Timing, *, may_resolve: bool = True
         ) -> tuple[ConditionState, tuple[TransitionKind, ...]]:
    """The condition after observing ``raw`` at ``now``, and what happened to its incident.

    ``may_resolve=False`` (a trap saying "cleared") records the observation but leaves the
    resolving to the next poll.
    """
    hold, clear_hold, window, threshold = timing
    changes, since = cs.changes, cs.since
    if raw != cs.raw:
        changes = (*changes, now)
        since = now
    if changes and changes[0] < now - window:
        cutoff = now - window
        changes = tuple(t for t in changes if t >= cutoff)
    n = len(changes)
    is_open, flapping = cs.open, cs.flapping
    events: tuple[TransitionKind, ...] = ()
    if not is_open:
        if n >= threshold:
            is_open = flapping = True
            events = (_OPENED,)
        elif raw and now - since >= hold:
            is_open = True
            events = (_OPENED,)
    else:
        if not flapping and n >= threshold:
            flapping = True
            events = (_FLAPPING,)
        elif flapping and 2 * n <= threshold:
            if raw:
                flapping = False
                events = (_STEADY,)
            elif may_resolve and now - since >= clear_hold:
                is_open = flapping = False
                events = (_STEADY, _RESOLVED)
        elif not flapping and not raw and may_resolve and now - since >= clear_hold:
            is_open = False
            events = (_RESOLVED,)
    if (raw == cs.raw and since == cs.since and changes is cs.changes and is_open == cs.open
            and flapping == cs.flapping):
        return cs, events
    return ConditionState(raw=raw, since=since, open=is_open, flapping=flapping, changes=changes,
                          runtime=cs.runtime if is_open else None, signals=cs.signals), events
