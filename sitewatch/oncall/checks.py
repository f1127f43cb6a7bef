"""The duty system's configuration checked at load: errors that stop a load, and warnings.

Errors (``check_oncall``, each at its file:line): every name a contact, roster, override,
escalation level or route uses must exist (channels, people, teams, rosters, policies); route
matches must name real site kinds, criticalities and conditions; a contact on a channel that
reaches people one by one (SMS, email, Telegram: the registry's ``ChannelType.address``) needs
a valid address (a phone number, an email address, a chat id); a route after a catch-all route is never reached; a
roster an escalation level pages must have somebody in it (a layer member or an override); a
fallback rule (``if_down``) stands in for a contact that exists, on another channel.

Warnings (``oncall_warnings``) do not stop a load, because the config is valid, but they are
how pages silently go nowhere: a roster with nobody on call in the next 14 days, a person on
duty with no contact method, a team with nobody in it, no default route (the escalation
engine then falls back to the last route, which was likely not meant for everything).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from sitewatch.config.locations import ConfigPath, Where, did_you_mean
from sitewatch.config.oncall_schema import Route, RouteMatch
from sitewatch.config.schema import Config, Criticality, SiteKind
from sitewatch.core.conditions import Condition
from sitewatch.core.errors import ConfigIssue
from sitewatch.messages.timefmt import readable_time
from sitewatch.notify.registry import CHANNELS
from sitewatch.oncall.schedule import schedule_for, team_members

__all__ = ["GAP_HORIZON", "check_oncall", "oncall_warnings"]

#: how far ahead ``oncall_warnings`` looks for gaps
GAP_HORIZON = 14 * 86400.0
_MATCH_VALUES: dict[str, frozenset[str]] = {
    "kind": frozenset(k.value for k in SiteKind),
    "criticality": frozenset(c.value for c in Criticality),
    "condition": frozenset(c.value for c in Condition),
}
_SECTIONS = ("channels", "people", "rosters", "policies", "teams")


def check_oncall(
    config: Config, locate: Callable[[ConfigPath], Where], *, data: Mapping[str, Any] | None = None
) -> list[ConfigIssue]:
    """Every broken reference in the duty sections. ``data`` is the raw merged configuration:
    names defined by items that failed validation count as defined (one typo, one issue),
    and routes are located by their place in the files even when some failed."""
    return list(_Checker(config, locate, data or {}).issues())


class _Checker:
    def __init__(self, config: Config, locate: Callable[[ConfigPath], Where], data: Mapping[str, Any]) -> None:
        self.config = config
        self.locate = locate
        self.names: dict[str, frozenset[str]] = {}
        for section in _SECTIONS:
            raw = data.get(section)
            defined = {str(k) for k in raw} if isinstance(raw, dict) else set()
            self.names[section] = frozenset(defined | set(getattr(config, section)))
        self.route_index = _route_index(config, data)
        #: roster id → the first escalation level paging it, in words
        self.paged_by: dict[str, str] = {}
        for pid, policy in config.policies.items():
            for i, level in enumerate(policy.levels):
                for target in level.notify:
                    if target.roster is not None:
                        self.paged_by.setdefault(target.roster, f"policy {pid!r} level {i + 1}")

    def issues(self) -> Iterator[ConfigIssue]:
        yield from self.people()
        yield from self.rosters()
        yield from self.policies()
        yield from self.routes()

    def ref(self, path: ConfigPath, section: str, name: str, what: str) -> Iterator[ConfigIssue]:
        known = self.names[section]
        if name not in known:
            yield self.locate(path).issue(f"unknown {what} {name!r}{did_you_mean(name, known)}")

    def people(self) -> Iterator[ConfigIssue]:
        for pid, person in self.config.people.items():
            for i, contact in enumerate(person.contacts):
                yield from self.ref(("people", pid, "contacts", i, "channel"), "channels", contact.channel, "channel")
                channel = self.config.channels.get(contact.channel)
                if channel is not None:
                    yield from self.address(("people", pid, "contacts", i), contact.channel, channel.type,
                                            contact.address)
            for i, team in enumerate(person.teams):
                yield from self.ref(("people", pid, "teams", i), "teams", team, "team")
            for i, rule in enumerate(person.rules):
                if rule.if_down is None:
                    continue
                at: ConfigPath = ("people", pid, "rules", i, "if_down")
                if rule.if_down.contact >= len(person.contacts):
                    yield self.locate((*at, "contact")).issue(
                        f"contact {rule.if_down.contact} does not exist (the person has {len(person.contacts)})")
                elif person.contacts[rule.if_down.contact].channel == person.contacts[rule.contact].channel:
                    yield self.locate(at).issue(
                        f"falls back to the same channel {person.contacts[rule.contact].channel!r} it stands in for: "
                        "it would wait on the same outage (use a contact on another channel)")

    def address(self, at: ConfigPath, channel: str, channel_type: str, address: str) -> Iterator[ConfigIssue]:
        """What the channel type's registry entry says about a contact's address."""
        rule = CHANNELS[channel_type].address
        problem = rule.problem(address) if rule is not None else None
        if problem is not None:
            yield self.locate((*at, "address") if address else at).issue(
                f"a contact on channel {channel!r} ({channel_type}) {problem}")

    def rosters(self) -> Iterator[ConfigIssue]:
        for rid, roster in self.config.rosters.items():
            if roster.team is not None:
                yield from self.ref(("rosters", rid, "team"), "teams", roster.team, "team")
            for i, layer in enumerate(roster.layers):
                for j, member in enumerate(layer.members):
                    yield from self.ref(("rosters", rid, "layers", i, "members", j), "people", member, "person")
            for i, override in enumerate(roster.overrides):
                yield from self.ref(("rosters", rid, "overrides", i, "person"), "people", override.person, "person")
            paged_by = self.paged_by.get(rid)
            if paged_by and not roster.overrides and not any(layer.members for layer in roster.layers):
                yield self.locate(("rosters", rid, "layers")).issue(
                    f"nobody is in this roster (no layer lists a member, no override), but {paged_by} pages it: "
                    "that level would reach nobody")

    def policies(self) -> Iterator[ConfigIssue]:
        for pid, policy in self.config.policies.items():
            for i, level in enumerate(policy.levels):
                for j, target in enumerate(level.notify):
                    at: ConfigPath = ("policies", pid, "levels", i, "notify", j)
                    if target.roster is not None:
                        yield from self.ref((*at, "roster"), "rosters", target.roster, "roster")
                    if target.team is not None:
                        yield from self.ref((*at, "team"), "teams", target.team, "team")
                    for k, person in enumerate(target.people):
                        yield from self.ref((*at, "people", k), "people", person, "person")

    def routes(self) -> Iterator[ConfigIssue]:
        catch_all: int | None = None
        for route, i in zip(self.config.routes, self.route_index, strict=True):
            if catch_all is not None:
                other = self.locate(("routes", catch_all)).at()
                yield self.locate(("routes", i)).issue(
                    f"never reached: the route at {other} before it matches every incident")
            elif route.match == RouteMatch():
                catch_all = i
            yield from self.ref(("routes", i, "policy"), "policies", route.policy, "policy")
            for field, allowed in _MATCH_VALUES.items():
                for k, value in enumerate(getattr(route.match, field)):
                    if value not in allowed:
                        yield self.locate(("routes", i, "match", field, k)).issue(
                            f"unknown {field} {value!r}{did_you_mean(value.lower(), allowed)} "
                            f"(one of: {', '.join(sorted(allowed))})")
            for k, team in enumerate(route.match.team):
                yield from self.ref(("routes", i, "match", "team", k), "teams", team, "team")


def _route_index(config: Config, data: Mapping[str, Any]) -> Sequence[int]:
    """For each route in ``config``, its index among the routes in the files (the loader
    leaves out routes that failed validation)."""
    raw = data.get("routes")
    if not isinstance(raw, list) or len(raw) == len(config.routes):
        return range(len(config.routes))
    kept: list[int] = []
    for i, item in enumerate(raw):
        try:
            Route.model_validate(item)
        except ValidationError:
            continue
        kept.append(i)
    return kept


def oncall_warnings(config: Config, now: float) -> list[str]:
    """What would make a page go nowhere, one line each: gaps in the next 14 days, people on
    duty with no contact method, teams with nobody in them, incidents no route matches."""
    out: list[str] = []
    for rid, roster in config.rosters.items():
        schedule = schedule_for(roster, rid)
        gaps = schedule.gaps(now, now + GAP_HORIZON)
        if gaps:
            shown = "; ".join(f"{readable_time(a, schedule.zone)} to {readable_time(b, schedule.zone)}"
                              for a, b in gaps[:3])
            more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
            hours = sum(b - a for a, b in gaps) / 3600
            out.append(f"roster {rid}: nobody on call for {hours:.1f} h in the next 14 days: {shown}{more}")
    for pid, roles in _duties(config).items():
        person = config.people.get(pid)
        if person is not None and not person.contacts:
            out.append(f"person {pid} ({person.name}) has no contact method but is {', '.join(roles)}: "
                       "they cannot be paged")
    for team in sorted(_target_teams(config)):
        if not team_members(config, team):
            out.append(f"team {team} is paged by a policy but no person lists it under teams")
    if config.policies and not config.routes:
        out.append("no routes: no incident pages anyone")
    elif config.routes and all(r.match != RouteMatch() for r in config.routes):
        out.append("no default route (one without match): an incident no route matches falls back to the last "
                   f"route (policy {config.routes[-1].policy})")
    return out


def _duties(config: Config) -> dict[str, list[str]]:
    """Person id → where they are on duty or paged, in config order."""
    roles: dict[str, list[str]] = {}
    for rid, roster in config.rosters.items():
        members = [m for layer in roster.layers for m in layer.members] + [o.person for o in roster.overrides]
        for person in dict.fromkeys(members):
            roles.setdefault(person, []).append(f"on roster {rid}")
    for pid, policy in config.policies.items():
        named = {p for level in policy.levels for t in level.notify for p in t.people}
        for person in sorted(named):
            roles.setdefault(person, []).append(f"paged by policy {pid}")
    for team in sorted(_target_teams(config)):
        for person in team_members(config, team):
            roles.setdefault(person, []).append(f"in paged team {team}")
    return roles


def _target_teams(config: Config) -> set[str]:
    return {t.team for p in config.policies.values() for level in p.levels for t in level.notify if t.team}
