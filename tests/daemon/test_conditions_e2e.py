"""Acceptance of issue 17 through the whole daemon: every equipment, power-quality and
environment condition is injected on a simulated agent (the simulator's fault injection, served
over real SNMP), and an incident opens, the on-call is paged by SMS naming the condition in
Vietnamese, the fault is cleared, the incident resolves and the resolution is sent.

One fleet and one daemon serve every case: each case has a site of its own (and a page
group of its own, ``group_by: [site]``), so the cases cannot see each other's incidents."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from sitewatch.core.conditions import Condition
from sitewatch.messages.sms import to_gsm7
from sitewatch.messages.vocabulary import vocabulary
from sitewatch.notify.model import MessageKind
from sitewatch.simulator import Fleet
from sitewatch.simulator.plan import FleetFile, SiteChoice
from tests.daemon.conftest import Running
from tests.daemon.test_paging_e2e import _bts, _sms_to, _until, paging_setup
from tests.notify.receivers import CaptureServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

ON_CALL = "+84905110101"  #: the district on-call (Vietnamese)


@dataclass(frozen=True, slots=True)
class Case:
    condition: Condition
    device: str  #: the generated device the fault is injected on
    inject: Callable[[Fleet, str], object]
    clear: Callable[[Fleet, str], object]
    how: str = ""  #: which way, where a condition is injected more than one way

    @property
    def id(self) -> str:
        return f"{self.condition.value}-{self.how}" if self.how else self.condition.value


CASES = [
    Case(Condition.BATTERY_BAD, "ups", lambda f, s: f.set_alarm(s, "battery_bad", True),
         lambda f, s: f.set_alarm(s, "battery_bad", False)),
    Case(Condition.UPS_ON_BYPASS, "ups", lambda f, s: f.set_bypass(s, True), lambda f, s: f.set_bypass(s, False)),
    Case(Condition.UPS_OVERLOAD, "ups", lambda f, s: f.set_alarm(s, "output_overload", True),
         lambda f, s: f.set_alarm(s, "output_overload", False)),
    Case(Condition.UPS_FAULT, "ups", lambda f, s: f.set_alarm(s, "general_fault", True),
         lambda f, s: f.set_alarm(s, "general_fault", False)),
    Case(Condition.CHARGER_FAILED, "ups", lambda f, s: f.set_alarm(s, "charger_failed", True),
         lambda f, s: f.set_alarm(s, "charger_failed", False)),
    Case(Condition.MAINS_PHASE_LOST, "ups", lambda f, s: f.set_phase(s, 2, 0), lambda f, s: f.set_phase(s, 2, None),
         how="ups"),
    Case(Condition.MAINS_PHASE_LOST, "dc_plant", lambda f, s: f.set_phase(s, 3, 0),
         lambda f, s: f.set_phase(s, 3, None), how="dc_plant"),
    Case(Condition.INPUT_OUT_OF_RANGE, "ups", lambda f, s: f.set_voltage(s, 170),
         lambda f, s: f.set_voltage(s, None), how="voltage"),
    Case(Condition.INPUT_OUT_OF_RANGE, "ups", lambda f, s: f.set_frequency(s, 45.5),
         lambda f, s: f.set_frequency(s, None), how="frequency"),
    Case(Condition.ROOM_TEMPERATURE_HIGH, "dc_plant", lambda f, s: f.set_temperature(s, 45),
         lambda f, s: f.set_temperature(s, None)),
    Case(Condition.DOOR_OPEN, "dc_plant", lambda f, s: f.set_door(s, True), lambda f, s: f.set_door(s, False)),
    Case(Condition.SMOKE, "dc_plant", lambda f, s: f.set_smoke(s, True), lambda f, s: f.set_smoke(s, False)),
]


def _site(case: Case) -> str:
    return f"BTS{CASES.index(case) + 1:02d}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def setup(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Fleet, Running, CaptureServer]]:
    tmp = tmp_path_factory.mktemp("conditions")
    sites = [_bts(i) for i in range(1, len(CASES) + 1)]
    # a three-phase UPS where the case is a UPS's (one phase lost, input out of range, alarms)
    fleet_file = FleetFile(sites={_site(c): SiteChoice(generated="ups", phases=3) for c in CASES if c.device == "ups"})
    holds = dict.fromkeys((c.condition.value for c in CASES), 1.0)  # short holds: the path through the hold, quickly
    async with paging_setup(tmp, sites, interval=1.5, group_wait=1.0, group_interval=6.0, holds=holds,
                            group_by=("site",), fleet_file=fleet_file) as (fleet, d, sms, _):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == len(sites), within=30)
        yield fleet, d, sms


async def _incidents(d: Running, site: str, condition: Condition, state: str) -> list[dict[str, Any]]:
    r = await d.http.get("/api/v1/incidents", params={"site": site, "condition": condition.value, "state": state})
    r.raise_for_status()
    return list(r.json()["incidents"])


async def _until_incident(d: Running, site: str, condition: Condition, state: str, within: float = 30) -> None:
    async with asyncio.timeout(within):  # the daemon runs in this loop: poll its API
        while True:
            if await _incidents(d, site, condition, state):
                return
            await asyncio.sleep(0.2)


def _folded(text: str) -> str:
    return to_gsm7(text).lower()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_injected_fault_opens_pages_and_resolves(case: Case, setup: tuple[Fleet, Running, CaptureServer]
                                                       ) -> None:
    fleet, d, sms = setup
    site, vi = _site(case), vocabulary("vi")
    assert await _incidents(d, site, case.condition, "open") == []
    sent_before = len(_sms_to(sms, ON_CALL))

    case.inject(fleet, site)
    await _until_incident(d, site, case.condition, "open")
    # the condition's Vietnamese name (its words before any explanation in brackets, which a short
    # message may leave out), as the SMS carries it (unaccented GSM-7)
    name = _folded(vi.conditions[case.condition].split(" (")[0])
    assert name != _folded(vocabulary("en").conditions[case.condition].split(" (")[0])  # not a fallback

    def paged() -> list[str]:
        return [t for t in _sms_to(sms, ON_CALL)[sent_before:] if site in t and name in _folded(t)]

    await _until(paged, within=20)
    page = paged()[0]
    assert not _folded(page).startswith(f"[{_folded(vi.tags[MessageKind.RESOLVED])}]"), page

    case.clear(fleet, site)
    await _until_incident(d, site, case.condition, "resolved")
    resolved = f"[{_folded(vi.tags[MessageKind.RESOLVED])}]"
    await _until(lambda: [t for t in paged() if _folded(t).startswith(resolved)], within=20)
