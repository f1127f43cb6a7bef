"""A snapshot of an escalation policy, taken when an escalation starts.

An escalation keeps the policy it started with (levels, targets, waits already multiplied by the
route's ``wait_factor``, repeat count, grouping intervals) in the store, so a config reload or a
restart never changes the rules of a page already under way, and the escalation resumes exactly
where it was. New escalations use the new config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sitewatch.config.oncall_schema import Policy, Route, Target

__all__ = ["LevelSnapshot", "PolicySnapshot", "snapshot"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelSnapshot:
    targets: tuple[Target, ...]
    wait: float  #: seconds to wait for an acknowledgement before the next level (× wait_factor)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySnapshot:
    policy: str  #: the policy's id in the config
    name: str
    levels: tuple[LevelSnapshot, ...]
    repeat: int  #: run the whole policy this many more times
    group_wait: float
    group_interval: float
    wait_factor: float

    def after(self, level: int, round_: int) -> tuple[int, int] | None:
        """The (level, round) that follows ``level`` of ``round_`` (level -1: not started);
        None when the policy, with its repeats, is exhausted."""
        level += 1
        if level >= len(self.levels):
            level, round_ = 0, round_ + 1
        return None if round_ > self.repeat else (level, round_)

    def to_json(self) -> str:
        return json.dumps({
            "policy": self.policy, "name": self.name, "repeat": self.repeat, "group_wait": self.group_wait,
            "group_interval": self.group_interval, "wait_factor": self.wait_factor,
            "levels": [{"wait": lv.wait, "targets": [t.model_dump(mode="json") for t in lv.targets]}
                       for lv in self.levels],
        }, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PolicySnapshot:
        d = json.loads(text)
        levels = tuple(LevelSnapshot(wait=float(lv["wait"]),
                                     targets=tuple(Target.model_validate(t) for t in lv["targets"]))
                       for lv in d["levels"])
        return cls(policy=d["policy"], name=d["name"], levels=levels, repeat=int(d["repeat"]),
                   group_wait=float(d["group_wait"]), group_interval=float(d["group_interval"]),
                   wait_factor=float(d["wait_factor"]))


def snapshot(policy_id: str, policy: Policy, route: Route) -> PolicySnapshot:
    """The policy as this route runs it: each level's wait × the route's ``wait_factor``."""
    levels = tuple(LevelSnapshot(targets=lv.notify, wait=lv.wait * route.wait_factor) for lv in policy.levels)
    return PolicySnapshot(policy=policy_id, name=policy.name or policy_id, levels=levels, repeat=policy.repeat,
                          group_wait=route.group_wait, group_interval=route.group_interval,
                          wait_factor=route.wait_factor)
