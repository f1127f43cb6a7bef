"""Every PromQL expression of both dashboards, evaluated by a real Prometheus scraping a real
sitewatch daemon that polls a simulated fleet over SNMP on 127.0.0.1.

The template variables are resolved the way Grafana resolves them (label values from Prometheus,
"All" as ``.*``, several values as a regex); then one site loses mains, another its uplink and a
third stops answering, and the panels must show exactly that: what a NOC operator would read."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from sitewatch.config.schema import Config
from sitewatch.simulator import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from tests.daemon.conftest import free_tcp_port, running_daemon
from tests.grafana.dashboards import Json, label_values_query, load, panel, queries, substitute, variables
from tests.grafana.promserver import PROMETHEUS, Prometheus, PromQLError, running_prometheus

pytestmark = pytest.mark.skipif(PROMETHEUS is None,
                                reason="prometheus not installed (Debian package prometheus; CI installs it)")

_BACKUP = {"battery_capacity_ah": 150, "nominal_voltage": 48, "typical_load_watts": 1200}
SITES: list[dict[str, Any]] = [
    {"id": "GL-TS-PLK", "name": "Trạm viễn thông Pleiku", "kind": "telecom_station", "level": "provincial",
     "province": "Gia Lai", "district": "Pleiku", "criticality": "critical", "latitude": 13.9833,
     "longitude": 108.0, "uplinks": ["xe-0/0/0"], "backup": {**_BACKUP, "battery_capacity_ah": 600}},
    {"id": "GL-BTS-001", "name": "BTS Hoa Lư", "kind": "bts", "province": "Gia Lai", "district": "Pleiku",
     "criticality": "high", "latitude": 13.9711, "longitude": 108.0152, "parent": "GL-TS-PLK",
     "uplinks": ["eth0"], "backup": _BACKUP},
    {"id": "GL-BC-001", "name": "Bưu cục Pleiku", "kind": "post_office", "province": "Gia Lai",
     "district": "Pleiku", "backup": {"battery_capacity_ah": 9, "nominal_voltage": 24, "typical_load_watts": 300}},
    {"id": "KT-BTS-001", "name": "BTS Kon Tum 1", "kind": "bts", "province": "Kon Tum", "district": "Kon Tum",
     "latitude": 14.3497, "longitude": 108.0005, "uplinks": ["eth0"], "backup": _BACKUP},
]
#: "time on battery" and "down for" look back at 15 s resolution (grafana/generate.py SINCE_STEP)
SINCE_STEP = 15
SCRAPE = 1.0
#: incidents open after a second (not the default half minute)
HOLDS = {"mains_lost": 1, "on_battery": 1, "link_down": 1}
#: what Grafana puts in for its own variables, for a 1 s scrape interval
BUILTIN = {"__interval": "1s", "__rate_interval": "4s"}

Values = dict[str, str | Sequence[str]]


def num(row: Json) -> float:
    return float(row["value"][1])


async def resolve(prom: Prometheus, dash: Json, choose: Mapping[str, str | Sequence[str]], start: float
                  ) -> Values:
    """Variables in order, each from ``label_values(...)`` with the earlier ones substituted, as
    Grafana fills them. ``choose`` picks per variable: ``"$__all"``, ``"first"``, ``"every"``, a value."""
    values: Values = {"DS_PROMETHEUS": "prometheus", **BUILTIN, "__range": "60s"}
    for name, var in variables(dash).items():
        if var["type"] != "query":
            continue
        match, label = label_values_query(var)
        options = await prom.label_values(label, substitute(match, values, dash) if match else None,
                                          start, time.time())
        assert options, f"{dash['uid']}: variable {name} has no values"
        pick = choose.get(name, "$__all" if var.get("includeAll") else "first")
        if pick == "first":
            values[name] = options[0]
        elif pick == "every":
            values[name] = options
        else:
            assert pick == "$__all" or pick in options, f"{pick!r} not among {name} values {options}"
            values[name] = pick
    return values


class View:
    """A dashboard with its variables set, evaluated now (instant) or over the test so far (range)."""

    def __init__(self, prom: Prometheus, dash: Json, values: Values, start: float) -> None:
        self.prom, self.dash, self.values, self.start = prom, dash, values, start

    def expr(self, title: str, ref: str = "A") -> tuple[str, bool]:
        (t,) = [t for t in panel(self.dash, title)["targets"] if t["refId"] == ref]
        instant = bool(t.get("instant")) and not t.get("range")
        return substitute(t["expr"], self._values(), self.dash), instant

    def _values(self) -> Values:
        return {**self.values, "__range": f"{max(1, math.ceil(time.time() - self.start))}s"}

    async def rows(self, title: str, ref: str = "A") -> list[Json]:
        expr, instant = self.expr(title, ref)
        if instant:
            return await self.prom.query(expr)
        return await self.prom.query_range(expr, self.start, time.time(), SCRAPE)

    async def stat(self, title: str, ref: str = "A") -> float:
        (row,) = await self.rows(title, ref)
        return num(row)

    async def by_site(self, title: str, ref: str = "A") -> dict[str, Json]:
        rows = await self.rows(title, ref)
        out = {r["metric"]["site"]: r for r in rows}
        assert len(out) == len(rows), f"{title}/{ref}: several rows per site {rows}"
        return out

    async def check_every_query(self) -> int:
        """Every target parses and runs (instant, and as a range where the panel draws one)."""
        errors, n = [], 0
        for q in queries(self.dash):
            expr = substitute(q.expr, self._values(), self.dash)
            try:
                await self.prom.query(expr)
                if not q.instant:
                    await self.prom.query_range(expr, self.start, time.time(), SCRAPE)
                n += 1
            except PromQLError as e:
                errors.append(f"{q}: {e}\n    {expr}")
        assert not errors, "\n".join(errors)
        return n


async def test_every_dashboard_query_against_prometheus_scraping_a_simulated_fleet(tmp_path: Path) -> None:
    config = Config.model_validate({"daemon": {"poll_interval": 1, "snmp_timeout": 0.3, "snmp_retries": 0,
                                               "listen": f"127.0.0.1:{free_tcp_port()}"}, "sites": SITES,
                                    "thresholds": {"default": {"hold": HOLDS}}})
    fleet_dash, site_dash = load("sitewatch-fleet.json"), load("sitewatch-site.json")
    async with Fleet(config, workdir=tmp_path / "sim") as fleet:
        path = tmp_path / "fleet.yaml"
        write_fleet_config(path, fleet_config(config, list(fleet.sites.values()), fleet.ports(),
                                              state_dir=tmp_path / "state"))
        async with running_daemon(path) as d, \
                running_prometheus(tmp_path / "prometheus", d.daemon.config.daemon.listen) as prom:
            start = time.time()
            await prom.wait_for("count(sitewatch_site_up == 1)", lambda r: bool(r) and num(r[0]) == 4)
            # the "since" subqueries step on multiples of 15 s: one must fall before the failures
            fail_after = math.ceil(time.time() / SINCE_STEP) * SINCE_STEP + 0.5

            every = View(prom, fleet_dash, await resolve(prom, fleet_dash, {}, start), start)
            assert every.values["province"] == "$__all"
            assert await every.check_every_query() == len(queries(fleet_dash))
            assert await every.stat("Sites up / configured", "A") == 4
            assert await every.stat("Sites up / configured", "B") == 4
            for title in ("Sites on battery", "Mains lost", "Battery low", "Links down", "Unreachable"):
                assert await every.stat(title) == 0, title
            assert await every.rows("Sites on battery — least runtime first") == []
            # a healthy fleet: no device reports an equipment alarm, no such incident is open
            assert await every.rows("Equipment alarms by site") == []
            assert await every.rows("Equipment alarms") == []
            status = await every.by_site("Site map")
            assert {s: num(r) for s, r in status.items()} == {"GL-TS-PLK": 0, "GL-BTS-001": 0, "KT-BTS-001": 0}

            await asyncio.sleep(max(0.0, fail_after - time.time()))
            fleet.set_mains("GL-BTS-001", False)
            fleet.set_link("KT-BTS-001", "eth0", False)
            fleet.set_agent("GL-TS-PLK", False)
            failed_at = time.time()
            await prom.wait_for('sitewatch_on_battery{site="GL-BTS-001"} == 1 '
                                'and on() sitewatch_link_up{site="KT-BTS-001"} == 0 '
                                'and on() sitewatch_site_up{site="GL-TS-PLK"} == 0', bool)
            # a rate needs two samples of a counter that moved: a few scrapes of the timeouts, and the
            # incidents opened (held 1 s)
            await prom.wait_for('count_over_time(sitewatch_polls_total{result="error"}[4s]) > 2 '
                                'and on() increase(sitewatch_poll_errors_total{reason="timeout"}[4s]) > 0 '
                                'and on() count(count by (condition) (sitewatch_incidents_open{condition=~'
                                '"mains_lost|on_battery|link_down"})) == 3', bool)
            await check_fleet_after_failures(every, failed_at)
            await check_filters(prom, fleet_dash, start)
            await check_site_dashboard(prom, site_dash, start, failed_at)
            await check_rules(prom)


def assert_merges(rows_by_ref: Mapping[str, list[Json]], key: tuple[str, ...]) -> None:
    """Grafana's merge joins a table's queries into one row per ``key`` only where the labels they
    share agree: no ``__name__`` (it differs per metric), the same site labels everywhere."""
    seen: dict[tuple[str, ...], dict[str, str]] = {}
    for ref, rows in rows_by_ref.items():
        for r in rows:
            labels = r["metric"]
            assert "__name__" not in labels, f"{ref}: {labels}"
            first = seen.setdefault(tuple(labels[k] for k in key), labels)
            shared = first.keys() & labels.keys()
            assert {k: first[k] for k in shared} == {k: labels[k] for k in shared}, (ref, first, labels)


def since_bounds(failed_at: float) -> tuple[float, float]:
    """Where a "time on battery"/"down for" value must lie now: from about the failure (the
    daemon needs up to a poll to see it), at most one subquery step earlier."""
    now = time.time()
    return now - failed_at - 3, now - failed_at + SINCE_STEP + 1


async def check_fleet_after_failures(v: View, failed_at: float) -> None:
    assert await v.check_every_query() == len(queries(v.dash))
    stats = {"Sites on battery": 1, "Mains lost": 1, "Battery low": 0, "Links down": 1, "Unreachable": 1}
    assert {t: await v.stat(t) for t in stats} == stats
    assert await v.stat("Sites up / configured", "A") == 3
    assert await v.stat("Sites up / configured", "B") == 4

    # the map: one row per site with coordinates, value = worst power state (2 on battery, 4 unreachable)
    status = await v.by_site("Site map")
    assert {s: num(r) for s, r in status.items()} == {"GL-TS-PLK": 4, "GL-BTS-001": 2, "KT-BTS-001": 0}
    for site in SITES:
        if site["id"] in status:
            labels = status[site["id"]]["metric"]
            assert (float(labels["latitude"]), float(labels["longitude"])) == (site["latitude"], site["longitude"])
            assert labels["name"] == site["name"]

    # sites on battery: the failed BTS, with what the table's columns show
    table = "Sites on battery — least runtime first"
    cols = {ref: await v.by_site(table, ref) for ref in "ABCDEF"}
    assert {ref: set(rows) for ref, rows in cols.items()} == {ref: {"GL-BTS-001"} for ref in "ABCDEF"}
    assert_merges({ref: list(rows.values()) for ref, rows in cols.items()}, ("site",))
    assert cols["A"]["GL-BTS-001"]["metric"]["name"] == "BTS Hoa Lư"
    assert cols["A"]["GL-BTS-001"]["metric"]["criticality"] == "high"
    assert num(cols["B"]["GL-BTS-001"]) > 600  # runtime left, seconds: sitewatch's estimate
    assert cols["B"]["GL-BTS-001"]["metric"]["method"] in {"reported", "charge_trend", "voltage_trend", "capacity",
                                                           "load"}
    assert set(await v.by_site(table, "G")) == set()  # no generator at this site
    assert time.time() < num((await v.by_site(table, "H"))["GL-BTS-001"]) / 1000 < time.time() + 7 * 86400
    assert 0 < num(cols["C"]["GL-BTS-001"]) <= 1  # charge
    assert 40 < num(cols["D"]["GL-BTS-001"]) < 56  # a 48 V string
    low, high = since_bounds(failed_at)
    assert low <= num(cols["E"]["GL-BTS-001"]) <= high  # on battery for (the DC plant does not say)
    assert cols["F"]["GL-BTS-001"]["metric"]["status"] == "normal"

    # links down: the Kon Tum BTS uplink, with its description and how long
    links = {ref: await v.rows("Uplinks down — most critical sites first", ref) for ref in "ABC"}
    assert {ref: [(r["metric"]["site"], r["metric"]["interface"]) for r in rows] for ref, rows in links.items()} \
        == {ref: [("KT-BTS-001", "eth0")] for ref in "ABC"}
    assert_merges(links, ("site", "interface"))
    assert links["A"][0]["metric"]["name"] == "BTS Kon Tum 1"
    assert links["B"][0]["metric"]["alias"] == "uplink"
    low, high = since_bounds(failed_at)
    assert low <= num(links["C"][0]) <= high

    # over time: 0 then 1 on battery; battery graphs show only the site that ran on battery
    (on_battery,) = await v.rows("Fleet power state", "A")
    assert float(on_battery["values"][0][1]) == 0 and float(on_battery["values"][-1][1]) == 1
    for title in ("Battery voltage — sites on battery in this period",
                  "Battery charge — sites on battery in this period", "Runtime left — sites on battery"):
        assert [r["metric"]["site"] for r in await v.rows(title)] == ["GL-BTS-001"], title

    # sitewatch's incidents: mains lost and on battery in Gia Lai, the uplink in Kon Tum
    opened = {r["metric"]["condition"] for r in await v.rows("Open incidents")}
    assert opened >= {"mains_lost", "on_battery", "link_down"}, opened
    # the range query's last step may end just before the scrape that saw the incidents: give it a few
    deadline = time.monotonic() + 6
    while True:
        over_time = {r["metric"]["condition"]: float(r["values"][-1][1])
                     for r in await v.rows("Open incidents over time")}
        if over_time or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert over_time and set(over_time) <= opened and min(over_time.values()) >= 1, over_time

    # poll health: durations measured, the silent site's timeouts counted
    (p99,) = await v.rows("Poll duration", "B")
    assert 0 < float(p99["values"][-1][1]) < 5
    reasons = {r["metric"]["reason"] for r in await v.rows("Poll errors by reason")}
    assert "timeout" in reasons
    assert {r["metric"]["result"] for r in await v.rows("Polls by result")} >= {"ok", "error"}


async def check_filters(prom: Prometheus, dash: Json, start: float) -> None:
    """The variables narrow every panel: a province, a criticality, several provinces at once."""
    kon_tum = View(prom, dash, await resolve(prom, dash, {"province": "Kon Tum"}, start), start)
    assert kon_tum.values["district"] == "$__all"
    assert await kon_tum.check_every_query() == len(queries(dash))
    assert await kon_tum.stat("Sites on battery") == 0
    assert await kon_tum.stat("Links down") == 1
    assert await kon_tum.stat("Sites up / configured", "B") == 1
    assert {r["metric"]["condition"] for r in await kon_tum.rows("Open incidents")} == {"link_down"}
    assert set(await kon_tum.by_site("Site map")) == {"KT-BTS-001"}

    first = View(prom, dash, await resolve(prom, dash, {"province": "first", "district": "first", "kind": "first",
                                                        "criticality": "first"}, start), start)
    assert first.values["province"] == "Gia Lai"
    assert await first.check_every_query() == len(queries(dash))

    high = View(prom, dash, await resolve(prom, dash, {"criticality": "high"}, start), start)
    assert await high.stat("Sites on battery") == 1
    assert await high.stat("Unreachable") == 0  # the unreachable station is critical, not high

    both = View(prom, dash, await resolve(prom, dash, {"province": "every"}, start), start)
    assert both.values["province"] == ["Gia Lai", "Kon Tum"]
    assert "(Gia Lai|Kon Tum)" in both.expr("Sites on battery")[0]
    assert await both.check_every_query() == len(queries(dash))
    assert await both.stat("Sites up / configured", "B") == 4


async def check_site_dashboard(prom: Prometheus, dash: Json, start: float, failed_at: float) -> None:
    match, label = label_values_query(variables(dash)["site"])
    assert match is not None and label == "site"
    sites = await prom.label_values("site", substitute(match, {"province": "$__all"}, dash), start, time.time())
    assert sites == sorted(s["id"] for s in SITES)

    bts = View(prom, dash, await resolve(prom, dash, {"site": "GL-BTS-001"}, start), start)
    assert await bts.check_every_query() == len(queries(dash))
    assert await bts.stat("Mains") == 0
    assert await bts.stat("On battery") == 1
    assert await bts.stat("Reachable") == 1
    assert 0 <= await bts.stat("Last good poll") < 5
    assert [r["metric"]["status"] for r in await bts.rows("Battery status")] == ["normal"]
    assert 0 < await bts.stat("Charge") <= 1
    (runtime,) = await bts.rows("Runtime left")
    assert num(runtime) > 600 and runtime["metric"]["method"] != "device"  # sitewatch's estimate, on battery
    assert time.time() < await bts.stat("Runs out at") / 1000
    low, high = since_bounds(failed_at)
    assert low <= await bts.stat("On battery for") <= high
    (info,) = await bts.rows("Site")
    assert (info["metric"]["name"], info["metric"]["parent"]) == ("BTS Hoa Lư", "GL-TS-PLK")
    phases = {r["metric"]["phase"]: float(r["values"][-1][1]) for r in await bts.rows("Input voltage per phase")}
    assert phases and set(phases.values()) == {0.0}, phases  # mains gone on every phase
    assert [r["metric"]["interface"] for r in await bts.rows("Links")] == ["eth0"]
    (mains,) = await bts.rows("Power", "A")  # the state timeline: mains OK, then lost
    assert float(mains["values"][0][1]) == 1 and float(mains["values"][-1][1]) == 0

    station = View(prom, dash, await resolve(prom, dash, {"site": "GL-TS-PLK"}, start), start)
    assert await station.check_every_query() == len(queries(dash))
    assert await station.stat("Reachable") == 0
    assert await station.stat("Poll failures in a row") >= 1
    assert [r["metric"]["reason"] for r in await station.rows("Last poll error")] == ["timeout"]


async def check_rules(prom: Prometheus) -> None:
    """The example rules run in this Prometheus too (evaluated every second here)."""
    rows = await prom.wait_for("province:sitewatch_sites_on_battery:count", lambda r: bool(r), within=10)
    assert [(r["metric"]["province"], num(r)) for r in rows] == [("Gia Lai", 1)]
    pending = await prom.wait_for('ALERTS{alertname="SiteOnBattery"}', lambda r: bool(r), within=10)
    assert [(r["metric"]["site"], r["metric"]["name"], r["metric"]["alertstate"]) for r in pending] == [
        ("GL-BTS-001", "BTS Hoa Lư", "pending")]  # for: 5m
