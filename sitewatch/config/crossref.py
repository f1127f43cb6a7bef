"""Checks across sections, after each item is valid on its own.

Every name a site uses must exist: its parent site (and parents must not loop), the
credential and profiles of each SNMP target, the power and water utilities (of the right
kind, with an area serving the site when the utility lists areas) and the team; site ids are
unique. Utilities' areas and contacts name existing contacts and sites; the request sender's
callback roster exists. Each issue points at the referring field.

Names defined by items that failed validation still count as defined (``Known``), so a typo
in one credential yields one issue, not one more per site that uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from sitewatch.config.locations import ConfigPath, Where, did_you_mean
from sitewatch.config.schema import Config, Site, SnmpV3Credential, UtilityKind
from sitewatch.core.errors import ConfigIssue

__all__ = ["Known", "check_references"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Known:
    """Names defined anywhere in the configuration, valid or not."""

    site_ids: frozenset[str] = frozenset()
    credentials: frozenset[str] = frozenset()
    utilities: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()


def check_references(
    config: Config,
    locate: Callable[[ConfigPath], Where],
    *,
    site_index: Sequence[int],
    known: Known,
    known_profiles: Collection[str] | None,
    profile_inputs: Mapping[str, frozenset[int]] | None = None,
) -> list[ConfigIssue]:
    """Every broken reference in ``config``. ``site_index[k]`` is the index in the merged
    ``sites`` list of ``config.sites[k]`` (they differ when invalid sites were left out);
    ``known_profiles`` None skips the profile check; ``profile_inputs`` (profile → its
    dry-contact input numbers) None skips the check of targets' ``inputs``."""
    checker = _Checker(config, locate, site_index, known)
    checker.profile_inputs = profile_inputs
    issues = list(checker.duplicates())
    issues += checker.cycles()
    issues += checker.directory()
    for k, site in enumerate(config.sites):
        issues += checker.site(site, site_index[k], known_profiles)
    return issues


class _Checker:
    def __init__(
        self,
        config: Config,
        locate: Callable[[ConfigPath], Where],
        site_index: Sequence[int],
        known: Known,
    ) -> None:
        self.config = config
        self.locate = locate
        self.index = site_index
        self.site_ids = known.site_ids | {s.id for s in config.sites}
        self.credentials = known.credentials | config.credentials.keys()
        self.utilities = known.utilities | config.utilities.keys()
        self.teams = known.teams | config.teams.keys()
        self.profile_inputs: Mapping[str, frozenset[int]] | None = None

    def at(self, i: int, *rel: str | int) -> Where:
        return self.locate(("sites", i, *rel))

    def duplicates(self) -> Iterator[ConfigIssue]:
        first: dict[str, int] = {}
        for k, site in enumerate(self.config.sites):
            i = self.index[k]
            if site.id in first:
                other = self.at(first[site.id], "id").at()
                yield self.at(i, "id").issue(f"duplicate site id {site.id!r}, first defined at {other}")
            else:
                first[site.id] = i

    def cycles(self) -> list[ConfigIssue]:
        parent: dict[str, str] = {}
        position: dict[str, int] = {}
        for k, site in enumerate(self.config.sites):
            if site.id not in position:
                position[site.id] = self.index[k]
                if site.parent is not None:
                    parent[site.id] = site.parent
        issues: list[ConfigIssue] = []
        done: set[str] = set()
        for start in position:
            chain: list[str] = []
            node: str | None = start
            while node is not None and node not in done and node not in chain:
                chain.append(node)
                node = parent.get(node)
            if node is not None and node in chain:
                loop = chain[chain.index(node) :]
                first = min(loop, key=position.__getitem__)
                ordered = loop[loop.index(first) :] + loop[: loop.index(first)]
                text = " → ".join([*ordered, first])
                issues.append(self.at(position[first], "parent").issue(f"parent cycle: {text}"))
            done.update(chain)
        return issues

    def directory(self) -> Iterator[ConfigIssue]:
        """Utilities' areas and contacts name each other and sites; the sender's roster exists."""
        for uid, utility in self.config.utilities.items():
            contacts = utility.contacts.keys()
            for cid, contact in utility.contacts.items():
                for key in ("after_hours", "escalate_to"):
                    name = getattr(contact, key)
                    if name is not None and name not in contacts:
                        yield self.locate(("utilities", uid, "contacts", cid, key)).issue(
                            f"unknown contact {name!r} of utility {uid!r}{did_you_mean(name, contacts)}")
                    elif name == cid:
                        yield self.locate(("utilities", uid, "contacts", cid, key)).issue(
                            f"a contact cannot be its own {key.replace('_', ' ')}")
            for n, area in enumerate(utility.areas):
                if area.contact not in contacts:
                    yield self.locate(("utilities", uid, "areas", n, "contact")).issue(
                        f"unknown contact {area.contact!r} of utility {uid!r}{did_you_mean(area.contact, contacts)}")
                for m, site_id in enumerate(area.sites):
                    if site_id not in self.site_ids:
                        yield self.locate(("utilities", uid, "areas", n, "sites", m)).issue(
                            f"unknown site {site_id!r}{did_you_mean(site_id, self.site_ids)}")
        sender = self.config.utility_requests.sender
        roster = sender.callback_roster if sender is not None else None
        if roster is not None and roster not in self.config.rosters:
            yield self.locate(("utility_requests", "sender", "callback_roster")).issue(
                f"unknown roster {roster!r}{did_you_mean(roster, self.config.rosters.keys())}")

    def site(self, site: Site, i: int, known_profiles: Collection[str] | None) -> Iterator[ConfigIssue]:
        if site.parent is not None and site.parent not in self.site_ids:
            hint = did_you_mean(site.parent, self.site_ids)
            yield self.at(i, "parent").issue(f"unknown parent site {site.parent!r}{hint}")
        for j, target in enumerate(site.snmp):
            if target.credential not in self.credentials:
                hint = did_you_mean(target.credential, self.credentials)
                yield self.at(i, "snmp", j, "credential").issue(f"unknown credential {target.credential!r}{hint}")
            elif target.community is not None and isinstance(
                self.config.credentials.get(target.credential), SnmpV3Credential
            ):
                yield self.at(i, "snmp", j, "community").issue(
                    f"a community does not apply to SNMPv3 credential {target.credential!r}"
                )
            for n, profile in enumerate(target.profiles):
                if known_profiles is not None and profile not in known_profiles:
                    hint = did_you_mean(profile, known_profiles)
                    yield self.at(i, "snmp", j, "profiles", n).issue(f"unknown profile {profile!r}{hint}")
            if target.inputs and self.profile_inputs is not None:
                have = frozenset().union(*(self.profile_inputs.get(p, frozenset()) for p in target.profiles))
                for number in target.inputs:
                    if number not in have:
                        listed = ", ".join(map(str, sorted(have))) or "none"
                        yield self.at(i, "snmp", j, "inputs", str(number)).issue(
                            f"no input {number} on {', '.join(target.profiles)} (inputs: {listed})")
        if site.power is not None:
            yield from self._utility(site, i, "power", site.power.utility, UtilityKind.POWER)
        if site.water is not None:
            yield from self._utility(site, i, "water", site.water.utility, UtilityKind.WATER)
        if site.team is not None and site.team not in self.teams:
            yield self.at(i, "team").issue(f"unknown team {site.team!r}{did_you_mean(site.team, self.teams)}")
        try:  # a site's own thresholds must still make sense on top of the layers below them
            self.config.thresholds_for(site)
        except ValidationError as e:
            reason = "; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors())
            yield self.at(i, "thresholds").issue(f"with the defaults for its kind: {reason}")

    def _utility(self, site: Site, i: int, section: str, name: str, kind: UtilityKind) -> Iterator[ConfigIssue]:
        where = self.at(i, section, "utility")
        utility = self.config.utilities.get(name)
        if name not in self.utilities:
            yield where.issue(f"unknown utility {name!r}{did_you_mean(name, self.utilities)}")
        elif utility is not None and utility.kind is not kind:
            yield where.issue(f"utility {name!r} supplies {utility.kind.value}, not {kind.value}")
        elif utility is not None and utility.areas and utility.area_for(site.id, site.district) is None:
            yield where.issue(
                f"utility {name!r} has no area for this site (district {site.district or 'not given'!r}): "
                "add an area for its district, list the site in one, or add an area without district for the province")
