"""Writes the sitewatch Grafana dashboards: ``grafana/dashboards/sitewatch-{fleet,site}.json``.

Why a generator: the two dashboards repeat one label filter, a handful of expressions (how
long a site has been on battery, which links are down) and the same units everywhere; written
once here they cannot drift apart. The JSON files are the product (Grafana provisions them as
they are) and are committed; ``tests/grafana`` fails when they differ from what this writes.

    python3 grafana/generate.py          # rewrite the JSON files
    python3 grafana/generate.py --check  # exit 1 if they are out of date

Every expression here is evaluated against a real Prometheus scraping a real sitewatch daemon
in ``tests/grafana/test_prometheus.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashkit import (  # a script beside its helpers, not a package
    Grid,
    bargauge,
    color_override,
    column,
    dashboard,
    datasource_variable,
    geomap,
    label_variable,
    mappings,
    row,
    stat,
    state_timeline,
    table,
    target,
    targets,
    thresholds,
    timeseries,
)

from sitewatch.core.conditions import Condition
from sitewatch.evaluation.conditions import ALARMS

__all__ = ["DASHBOARDS", "fleet_dashboard", "main", "render", "site_dashboard"]

Json = dict[str, Any]

#: the fleet filter: every per-site series carries these labels
F = 'province=~"$province",district=~"$district",kind=~"$kind",criticality=~"$criticality"'
#: one site (site dashboard)
S = 'site="$site"'

#: how far back "time on battery" and "down for" look when the device does not say, and at what
#: resolution: 6 h at 15 s is 1,440 points per series per refresh; longer shows "> 6 h"
SINCE_WINDOW = "6h"
SINCE_STEP = "15s"


def since(condition: str, until: str, on: str = "site") -> str:
    """Seconds since ``condition`` was last true, for the series (matched ``on`` these labels)
    where ``until`` holds now; -1 when it was not true within ``SINCE_WINDOW`` (shown as "> 6 h")."""
    return (f"(time() - max_over_time(timestamp({condition})[{SINCE_WINDOW}:{SINCE_STEP}])"
            f" or on({on}) ({until}) * 0 - 1)")


def on_battery(f: str) -> str:
    return f"(sitewatch_on_battery{{{f}}} == 1)"


def while_on_battery(expr: str, f: str) -> str:
    """``expr`` for the sites on battery now. A product rather than ``and``: it drops ``__name__``,
    which would differ between the queries of one table and stop Grafana's merge from joining
    them into one row per site."""
    return f"({expr}) * on(site) group_left() {on_battery(f)}"


def time_on_battery(f: str) -> str:
    """The device's own count (UPS-MIB upsSecondsOnBattery) where it gives one, else the time
    since Prometheus last saw the site on mains: DC plants do not report it."""
    return while_on_battery(f"(sitewatch_seconds_on_battery{{{f}}} > 0) or on(site) "
                            f"{since(f'sitewatch_on_battery{{{f}}} == 0', on_battery(f))}", f)


def links_down(f: str) -> str:
    """Links operationally down and not explicitly shut (a cut, not maintenance): an admin status
    that is missing or invalid (microwave radios) does not excuse a link that is down."""
    return (f"(sitewatch_link_up{{{f}}} == 0) unless on(site, interface) (sitewatch_link_admin_up{{{f}}} == 0)")


def runtime_left(f: str) -> str:
    """sitewatch's runtime estimate (``method`` label: reported, charge_trend, capacity...) while on
    battery, else the device's own figure (``method="device"``)."""
    return (f"sitewatch_battery_runtime_estimate_seconds{{{f}}} or on(site) "
            f'label_replace(sitewatch_battery_runtime_seconds{{{f}}}, "method", "device", "", "")')


def battery_low(f: str) -> str:
    return f'(max by (site) (sitewatch_battery_status{{{f},status=~"low|depleted"}}) == 1)'


def count(expr: str) -> str:
    """How many series match; 0, not "No data", when none do."""
    return f"count({expr}) or vector(0)"


def with_name(expr: str, f: str) -> str:
    """Adds the site's name from ``sitewatch_site_info`` (exported for every configured site)."""
    return f"({expr}) * on(site) group_left(name) sitewatch_site_info{{{f}}}"


#: power status of a site on the map: worst of mains lost 1, on battery 2, battery low 3, unreachable 4
STATUS_MAP = {"-1": ("No data yet / Chưa có dữ liệu", "text"), "0": ("Mains OK / Có điện lưới", "green"),
              "1": ("Mains lost / Mất điện lưới", "yellow"), "2": ("On battery / Đang chạy ắc quy", "orange"),
              "3": ("Battery low / Ắc quy yếu", "red"), "4": ("Unreachable / Mất kết nối", "purple")}


#: what the on-call must act on besides an outage (issue 17): UPS alarms, the grid degrading, the shelter
EQUIPMENT = (Condition.BATTERY_BAD, Condition.UPS_ON_BYPASS, Condition.UPS_OVERLOAD, Condition.UPS_FAULT,
             Condition.CHARGER_FAILED, Condition.MAINS_PHASE_LOST, Condition.INPUT_OUT_OF_RANGE,
             Condition.ROOM_TEMPERATURE_HIGH, Condition.DOOR_OPEN, Condition.SMOKE)
#: the room temperature shown as too hot: the built-in ``room_temperature_high`` threshold
ROOM_TOO_HOT = 40


def equipment_alarms(f: str) -> str:
    """One series per site and alarm the site's devices report now, labelled ``alarm``: the UPS alarms
    conditions are read from, output on bypass, door open, smoke, room at or above ``ROOM_TOO_HOT``."""
    names = "|".join(sorted(set().union(*ALARMS.values())))
    parts = [f'sitewatch_alarm_active{{{f},alarm=~"{names}"}} == 1',
             f'label_replace(sitewatch_output_source{{{f},source="bypass"}} == 1, "alarm", "on_bypass", "", "")',
             f'label_replace(sitewatch_door_open{{{f}}} == 1, "alarm", "door_open", "", "")',
             f'label_replace(sitewatch_smoke_detected{{{f}}} == 1, "alarm", "smoke", "", "")',
             f'label_replace(sitewatch_ambient_temperature_celsius{{{f}}} >= {ROOM_TOO_HOT}, "alarm", '
             f'"room_temperature_high", "", "")']
    # max by: the same alarm from two places (the alarm table and the output source) is one row
    return f"max by (site, alarm) ({' or '.join(parts)})"


def site_status(f: str) -> str:
    """Each site with coordinates: its ``sitewatch_site_info`` labels (name, latitude, longitude...)
    and as value the worst power state, joined with ``* on(site) group_left()``."""
    info = f'sitewatch_site_info{{{f},latitude!=""}}'
    parts = [("mains", f"1 - sitewatch_mains_ok{{{f}}}"), ("battery", f"2 * sitewatch_on_battery{{{f}}}"),
             ("low", f'3 * max by (site) (sitewatch_battery_status{{{f},status=~"low|depleted"}})'),
             ("unreachable", f"4 * (1 - sitewatch_site_up{{{f}}})")]
    worst = " or ".join(f'label_replace({e}, "why", "{why}", "", "")' for why, e in parts)
    return f"({info} * on(site) group_left() max by (site) ({worst})) or on(site) ({info} * 0 - 1)"


HOURS = thresholds((None, "red"), (1800, "orange"), (3600, "green"))
CHARGE = thresholds((None, "red"), (0.2, "orange"), (0.5, "green"))
SINCE_MAPS = mappings({"-1": ("> 6 h", "red")})
ZERO_GOOD = thresholds((None, "green"), (1, "red"))
BOOL_OK = mappings({"0": ("LOST / MẤT", "red"), "1": ("OK", "green")})
BOOL_BAD = mappings({"0": ("No / Không", "green"), "1": ("YES / CÓ", "red")})
UP_DOWN = mappings({"0": ("Down", "red"), "1": ("Up", "green")})
FILTER_HIDE = ("kind", "province", "commune", "job", "instance")


def fleet_variables() -> list[Json]:
    return [
        datasource_variable(),
        label_variable("province", "Province / Tỉnh", "label_values(sitewatch_site_info, province)"),
        label_variable("district", "District / Huyện",
                       'label_values(sitewatch_site_info{province=~"$province"}, district)'),
        label_variable("kind", "Site kind / Loại trạm",
                       'label_values(sitewatch_site_info{province=~"$province",district=~"$district"}, kind)'),
        label_variable("criticality", "Criticality / Mức ưu tiên", "label_values(sitewatch_site_info, criticality)"),
    ]


def fleet_dashboard() -> Json:
    g = Grid()
    g.add(
        stat("Sites up / configured",
             "Sites whose last poll answered, of the sites configured (filters apply). "
             "Trạm đang trả lời / tổng số trạm.",
             targets((count(f"sitewatch_site_up{{{F}}} == 1"), "up"),
                     (count(f"sitewatch_site_info{{{F}}}"), "configured"), instant=True),
             text_mode="value_and_name", steps=thresholds((None, "blue"))),
        stat("Sites on battery", "Load carried by the backup battery now. Trạm đang chạy ắc quy.",
             [target(count(on_battery(F)), "on battery")], steps=thresholds((None, "green"), (1, "orange"))),
        stat("Mains lost", "Grid power absent (generator or battery carrying the load). Trạm mất điện lưới.",
             [target(count(f"sitewatch_mains_ok{{{F}}} == 0"), "mains lost")],
             steps=thresholds((None, "green"), (1, "orange"))),
        stat("Battery low", "Battery status reported low or depleted. Ắc quy yếu hoặc cạn.",
             [target(count(battery_low(F)), "battery low")], steps=ZERO_GOOD),
        stat("Links down", "Interfaces down and not shut on purpose. Mất kết nối truyền dẫn.",
             [target(count(links_down(F)), "links down")], steps=ZERO_GOOD),
        stat("Unreachable", "Sites whose last poll got no usable answer. Trạm không trả lời SNMP.",
             [target(count(f"sitewatch_site_up{{{F}}} == 0"), "unreachable")],
             steps=thresholds((None, "green"), (1, "purple"))),
    )
    g.add(
        stat("Power not watched",
             "Sites with power equipment whose profiles read no mains, on-battery or battery value: a mains "
             "failure there pages nobody. Trạm không giám sát được nguồn điện.",
             [target(count(f"sitewatch_site_power_visibility{{{F}}} == 0"), "not watched")], steps=ZERO_GOOD),
        table("Sites whose power is not watched",
              "Wire the controller's mains contact (inputs: on the SNMP target), add a power profile, or "
              "declare that the site has no power equipment (power_equipment: false). "
              "Trạm chưa giám sát được nguồn điện.",
              [target(with_name(f"sitewatch_site_power_visibility{{{F}}} == 0", F), "")],
              columns={"site": "site", "name": "Name", "district": "District", "kind": "Kind",
                       "criticality": "Criticality"},
              hide=("Value", "province", "commune", "job", "instance"), link_site=True, sort_by="Criticality",
              w=20, h=4),
    )
    g.add(row("Power / Nguồn điện"))
    g.add(
        geomap("Site map", "Sites with coordinates, coloured by the worst of: mains lost, on battery, battery "
               "low, unreachable. Bản đồ trạm theo tình trạng nguồn.",
               target(site_status(F)), steps=thresholds(*((int(k), c) if k != "-1" else (None, c)
                                                        for k, (_, c) in STATUS_MAP.items())),
               maps=mappings(STATUS_MAP), hide=("parent", "team", "commune", "level", "province")),
        table("Sites on battery — least runtime first",
              "Every site on battery now, the one that will go dark first at the top. Runtime left is "
              "sitewatch's estimate (method: reported by the device, charge or voltage trend, battery capacity "
              "and load), else the device's own figure; time on battery is the device's count (UPS) or the "
              "time since Prometheus last saw the site on mains (\"> 6 h\": not seen on mains in the last "
              "6 hours). Trạm đang chạy ắc quy, trạm sắp cạn ắc quy trước.",
              targets((with_name(on_battery(F), F), ""),
                      (while_on_battery(runtime_left(F), F), ""),
                      (while_on_battery(f"sitewatch_battery_charge_ratio{{{F}}}", F), ""),
                      (while_on_battery(f"sitewatch_battery_voltage_volts{{{F}}}", F), ""),
                      (time_on_battery(F), ""),
                      (while_on_battery(f"sitewatch_battery_status{{{F}}} == 1", F), ""),
                      (while_on_battery(f"sitewatch_generator_running{{{F}}}", F), ""),
                      (while_on_battery(f"sitewatch_battery_predicted_depletion_timestamp_seconds{{{F}}} * 1000", F),
                       "")),
              columns={"site": "site", "name": "Name", "district": "District", "criticality": "Criticality",
                       "status": "Battery", "Value #B": "Runtime left", "method": "Estimated by",
                       "Value #H": "Runs out at", "Value #C": "Charge", "Value #D": "Voltage",
                       "Value #E": "On battery for", "Value #G": "Generator"},
              hide=("Value #A", "Value #F", *FILTER_HIDE), sort_by="Runtime left", link_site=True,
              overrides=[column("Runtime left", "s", steps=HOURS, background=True),
                         column("Runs out at", "dateTimeAsIsoNoDateIfToday"),
                         column("Charge", "percentunit", steps=CHARGE, background=True),
                         column("Voltage", "volt", decimals=1), column("On battery for", "s", maps=SINCE_MAPS),
                         column("Generator", maps=mappings({"0": ("off", "text"), "1": ("running", "green")}))],
              h=14),
    )
    g.add(
        table("Uplinks down — most critical sites first",
              "Interfaces operationally down and not shut on purpose, and for how long "
              "(\"> 6 h\": not seen up in the last 6 hours). Mất kết nối truyền dẫn.",
              targets((with_name(links_down(F), F), ""),
                      # a product, not `and`: no __name__ (see while_on_battery); links down are 0
                      (f"sitewatch_link_info{{{F}}} * on(site, interface) group_left() ({links_down(F)})", ""),
                      (f"({since(f'sitewatch_link_up{{{F}}} == 1', links_down(F), 'site, interface')}) "
                       f"and on(site, interface) ({links_down(F)})", "")),
              columns={"site": "site", "name": "Name", "district": "District", "criticality": "Criticality",
                       "interface": "Interface", "alias": "Description", "Value #C": "Down for"},
              hide=("Value #A", "Value #B", "if_index", "type", *FILTER_HIDE), link_site=True,
              sort_by="Criticality",  # critical < high < normal, as it happens
              overrides=[column("Down for", "s", maps=SINCE_MAPS)], h=9),
        timeseries("Fleet power state", "How many sites are in each state over time. Số trạm theo tình trạng.",
                   targets((count(on_battery(F)), "on battery"),
                           (count(f"sitewatch_mains_ok{{{F}}} == 0"), "mains lost"),
                           (count(battery_low(F)), "battery low"),
                           (count(f"sitewatch_site_up{{{F}}} == 0"), "unreachable"),
                           (count(f"sitewatch_generator_running{{{F}}} == 1"), "generator running")),
                   min_=0, draw="steps", h=9,
                   overrides=[color_override("on battery", "orange"), color_override("mains lost", "yellow"),
                              color_override("battery low", "red"), color_override("unreachable", "purple"),
                              color_override("generator running", "blue")]),
    )
    # sites on battery at any time in the range shown (``@ end()``: the range is fixed, not per step)
    was_on_battery = f"on(site) (max_over_time(sitewatch_on_battery{{{F}}}[$__range] @ end()) == 1)"
    g.add(
        timeseries("Battery voltage — sites on battery in this period",
                   "DC bus / battery voltage of every site that ran on battery in the time range shown. "
                   "Điện áp ắc quy.",
                   [target(f"sitewatch_battery_voltage_volts{{{F}}} and {was_on_battery}", "{{site}}")],
                   unit="volt", w=6),
        timeseries("Battery charge — sites on battery in this period",
                   "Charge left of every site that ran on battery in the time range shown. Dung lượng ắc quy còn lại.",
                   [target(f"sitewatch_battery_charge_ratio{{{F}}} and {was_on_battery}", "{{site}}")],
                   unit="percentunit", min_=0, max_=1, w=6),
        timeseries("Runtime left — sites on battery", "sitewatch's runtime estimate while a site is on battery. "
                   "Thời gian chạy ắc quy còn lại (ước tính).",
                   [target(f"min by (site) (sitewatch_battery_runtime_estimate_seconds{{{F}}})", "{{site}}")],
                   unit="s", min_=0, w=6, steps=HOURS),
        bargauge("Open incidents", "Open and acknowledged incidents by condition and severity (only the province "
                 "filter applies). Sự cố đang mở.",
                 [target('sum by (condition, severity) (sitewatch_incidents_open{province=~"$province"})',
                         "{{condition}} · {{severity}}")], w=6,
                 steps=thresholds((None, "orange"))),
    )
    g.add(
        bargauge("Equipment alarms", "Open and acknowledged incidents a site's own equipment raised: battery bad, "
                 "UPS on bypass, overloaded or faulted, charger failed, a mains phase lost, mains out of range, room "
                 "too hot, door open, smoke (only the province filter applies). Cảnh báo thiết bị đang mở.",
                 [target(f'sum by (condition, severity) (sitewatch_incidents_open{{province=~"$province",'
                         f'condition=~"{"|".join(c.value for c in EQUIPMENT)}"}})', "{{condition}} · {{severity}}")],
                 w=8, h=9, steps=thresholds((None, "orange"))),
        table("Equipment alarms by site",
              "What each site's devices report now: UPS alarms (battery bad, self-test failed, bypass, overload, "
              f"fault, charger failed), door open, smoke, room at or above {ROOM_TOO_HOT} °C. Incidents open "
              "once the condition has held for its hold time. Thiết bị tại trạm đang báo.",
              [target(with_name(equipment_alarms(F), F), "")],
              columns={"site": "site", "name": "Name", "alarm": "Alarm"},
              hide=("Value",), sort_by="site", link_site=True, w=16, h=9),
    )
    g.add(row("Poll health / Tình trạng thu thập"))
    rate = "[$__rate_interval]"
    g.add(
        timeseries("Poll duration", "p50 and p99 of one site poll (all its targets), per sitewatch instance.",
                   targets((f"histogram_quantile(0.5, sum by (instance, le) "
                            f"(rate(sitewatch_poll_duration_seconds_bucket{rate})))", "p50 {{instance}}"),
                           (f"histogram_quantile(0.99, sum by (instance, le) "
                            f"(rate(sitewatch_poll_duration_seconds_bucket{rate})))", "p99 {{instance}}")),
                   unit="s", w=6),
        timeseries("Polls by result", "Site polls finished per second, and polls running now.",
                   targets((f"sum by (result) (rate(sitewatch_polls_total{rate}))", "{{result}}"),
                           ("sum(sitewatch_polls_in_progress)", "in progress"),
                           ("sum(sitewatch_sites_configured)", "sites configured")),
                   unit="short", w=6, min_=0),
        timeseries("Poll errors by reason", "Failed polls per second by reason (timeout, auth, ...).",
                   [target(f"sum by (reason) (rate(sitewatch_poll_errors_total{rate})) > 0", "{{reason}}")],
                   unit="cps", w=6, min_=0),
        timeseries("SNMP packets dropped", "Datagrams dropped before reaching any site (late, unknown "
                   "request id, malformed), per second.",
                   [target(f"sum by (reason) (rate(sitewatch_snmp_packets_dropped_total{rate}))", "{{reason}}")],
                   unit="cps", w=6, min_=0),
        timeseries("Traps received", "SNMP traps and informs per second, by what became of them.",
                   [target(f"sum by (result) (rate(sitewatch_traps_total{rate}))", "{{result}}")],
                   unit="cps", min_=0),
        timeseries("Open incidents over time", "Open and acknowledged incidents by condition (only the province "
                   "filter applies). Sự cố đang mở theo thời gian.",
                   [target('sum by (condition) (sitewatch_incidents_open{province=~"$province"})', "{{condition}}")],
                   min_=0, draw="steps"),
    )
    g.add(row("Paging / Gửi cảnh báo"))
    g.add(
        state_timeline("Channels", "Each notification channel: up, or down (failing; probed with one message at a "
                       "time, its backlog goes at once when it answers). Kênh gửi cảnh báo.",
                       [target("max by (channel) (sitewatch_channel_up)", "{{channel}}")],
                       maps=mappings({"0": ("DOWN / LỖI", "red"), "1": ("UP", "green")}), w=8),
        timeseries("Notifications waiting", "Waiting in the outbox, and how long the longest-waiting one of each "
                   "channel has waited. Cảnh báo chờ gửi.",
                   targets(("sum by (instance) (sitewatch_outbox_depth)", "waiting {{instance}}"),
                           ("max by (channel) (sitewatch_outbox_oldest_waiting_seconds)", "oldest on {{channel}} (s)")),
                   min_=0, w=8),
        timeseries("Notifications by result", "Per second, by channel and result (sent, retry, dead_letter, "
                   "cancelled).",
                   [target(f"sum by (channel, result) (rate(sitewatch_notifications_total{rate})) > 0",
                           "{{channel}} {{result}}")],
                   unit="cps", min_=0, w=8),
    )
    return dashboard(uid="sitewatch-fleet", title="sitewatch — Fleet overview",
                     description="NOC wall screen during a grid failure: which sites are on battery, how long they "
                     "last, which links are down. Màn hình trực NOC khi mất điện lưới diện rộng.",
                     grid=g, variables=fleet_variables(), refresh="30s", time_from="now-6h",
                     panel_types=[p["type"] for p in g.panels])


def site_dashboard() -> Json:
    g = Grid()
    g.add(
        stat("Mains", "Grid power at the site. Điện lưới.", [target(f"sitewatch_mains_ok{{{S}}}")], w=3,
             maps=BOOL_OK),
        stat("On battery", "Load carried by the battery. Đang chạy ắc quy.",
             [target(f"sitewatch_on_battery{{{S}}}")], w=3, maps=BOOL_BAD),
        stat("Battery status", "As the device reports it. Tình trạng ắc quy.",
             [target(f"sitewatch_battery_status{{{S}}} == 1", "{{status}}")], w=3, text_mode="name",
             steps=thresholds((None, "text")),
             overrides=[color_override("normal", "green"), color_override("low", "orange"),
                        color_override("depleted", "red"), color_override("unknown", "text")]),
        stat("Charge", "Battery charge left. Dung lượng còn lại.", [target(f"sitewatch_battery_charge_ratio{{{S}}}")],
             w=3, unit="percentunit", steps=CHARGE),
        stat("Runtime left", "sitewatch's estimate while on battery, else the device's own; the method below "
             "the value. Thời gian chạy ắc quy còn lại.", [target(runtime_left(S), "{{method}}")], w=3, unit="s",
             steps=HOURS, text_mode="value_and_name", no_value="—"),
        stat("On battery for", "Device count, else time since last seen on mains (\"> 6 h\": not in the "
             "last 6 hours). Thời gian đã chạy ắc quy.", [target(time_on_battery(S))], w=3, unit="s",
             maps=SINCE_MAPS, steps=thresholds((None, "orange")), no_value="not on battery"),
        stat("Reachable", "Whether the last poll answered. Trạm trả lời SNMP.",
             [target(f"sitewatch_site_up{{{S}}}")], w=3, maps=mappings({"0": ("NO / KHÔNG", "purple"),
                                                                         "1": ("Yes / Có", "green")})),
        stat("Last good poll", "Age of the last successful poll. Lần thu thập thành công gần nhất.",
             [target(f"time() - sitewatch_site_last_poll_success_timestamp_seconds{{{S}}}")], w=3, unit="s",
             steps=thresholds((None, "green"), (300, "orange"), (900, "red"))),
    )
    g.add(
        table("Site", "What the configuration says about the site. Thông tin trạm.",
              [target(f"sitewatch_site_info{{{S}}}")],
              columns={"site": "site", "name": "Name", "kind": "Kind", "level": "Level", "province": "Province",
                       "district": "District", "commune": "Commune", "criticality": "Criticality",
                       "parent": "Parent", "team": "Team", "latitude": "Latitude", "longitude": "Longitude"},
              hide=("Value", "job", "instance"), h=4, w=9),
        stat("Runs out at", "When the battery is predicted to run out (while on battery). Dự kiến cạn ắc quy lúc.",
             [target(f"sitewatch_battery_predicted_depletion_timestamp_seconds{{{S}}} * 1000")], w=3,
             unit="dateTimeAsIsoNoDateIfToday", steps=thresholds((None, "red")), no_value="—"),
        stat("Poll failures in a row", "Consecutive failed polls. Số lần thu thập lỗi liên tiếp.",
             [target(f"sitewatch_site_consecutive_poll_failures{{{S}}}")], w=3,
             steps=thresholds((None, "green"), (1, "orange"), (3, "red"))),
        stat("Last poll error", "Why the last poll failed (only while it fails).",
             [target(f"sitewatch_site_poll_error{{{S}}} == 1", "{{reason}}")], w=3, text_mode="name",
             steps=thresholds((None, "purple")), no_value="none"),
        stat("Agent uptime", "SNMP agent uptime (a reset means the device rebooted).",
             [target(f"sitewatch_uptime_seconds{{{S}}}")], w=3, unit="s", steps=thresholds((None, "blue"))),
        stat("Alarms", "Alarms the device reports active. Cảnh báo đang có.",
             [target(f"sitewatch_alarms_present{{{S}}}")], w=3, steps=ZERO_GOOD),
    )
    g.add(row("Battery / Ắc quy"))
    g.add(
        timeseries("Battery charge", "Battery charge left.",
                   [target(f"sitewatch_battery_charge_ratio{{{S}}}", "charge")], unit="percentunit", min_=0, max_=1,
                   w=8),
        timeseries("Battery voltage", "Battery / DC bus voltage.",
                   [target(f"sitewatch_battery_voltage_volts{{{S}}}", "voltage")], unit="volt", w=8),
        timeseries("Battery current", "Battery current (negative: discharging).",
                   [target(f"sitewatch_battery_current_amperes{{{S}}}", "current")], unit="amp", w=8),
        timeseries("Battery and room temperature", "Battery temperature, and the shelter or cabinet air "
                   "(room_temperature_high opens at 40 °C by default). Nhiệt độ ắc quy và phòng máy.",
                   targets((f"sitewatch_battery_temperature_celsius{{{S}}}", "battery"),
                           (f"sitewatch_ambient_temperature_celsius{{{S}}}", "room")), unit="celsius", w=8),
        timeseries("Runtime left and time on battery",
                   "Runtime left as the device and sitewatch estimate it, and how long the site has been on battery "
                   "(UPS count).",
                   targets((f"sitewatch_battery_runtime_seconds{{{S}}}", "runtime left (device)"),
                           (f"sitewatch_battery_runtime_estimate_seconds{{{S}}}", "runtime left ({{method}})"),
                           (f"sitewatch_seconds_on_battery{{{S}}}", "on battery for (device)")),
                   unit="s", min_=0, w=8),
        timeseries("Input voltage per phase", "AC mains voltage at the input, per phase. Điện áp lưới từng pha.",
                   [target(f"sitewatch_input_voltage_volts{{{S}}}", "phase {{phase}}")], unit="volt", min_=0, w=8),
    )
    g.add(row("Power plant, links, alarms / Thiết bị nguồn, truyền dẫn, cảnh báo"))
    g.add(
        state_timeline("Power", "Mains, battery, UPS bypass, generator, rectifiers, low-voltage disconnect, "
                       "door and smoke contacts.",
                       targets((f"sitewatch_mains_ok{{{S}}}", "mains"), (f"sitewatch_on_battery{{{S}}}", "on battery"),
                               (f'sitewatch_output_source{{{S},source="bypass"}}', "UPS on bypass"),
                               (f"sitewatch_generator_running{{{S}}}", "generator running"),
                               (f"sitewatch_rectifier_failed{{{S}}}", "rectifier failed"),
                               (f"sitewatch_lvd_open{{{S}}}", "LVD open"),
                               (f"sitewatch_door_open{{{S}}}", "door open"),
                               (f"sitewatch_smoke_detected{{{S}}}", "smoke")),
                       maps=mappings({"0": ("no", "transparent"), "1": ("yes", "orange")}),
                       overrides=[column("mains", maps=BOOL_OK)]),
        state_timeline("Links", "Operational state of each interface. Trạng thái truyền dẫn.",
                       [target(f"sitewatch_link_up{{{S}}}", "{{interface}}")], maps=UP_DOWN),
        table("Active alarms", "Named alarms the device reports active now. Cảnh báo đang có.",
              [target(f"sitewatch_alarm_active{{{S}}} == 1")], columns={"alarm": "Alarm"},
              hide=("Value", "site", "kind", "province", "district", "criticality", "job", "instance"), h=8),
        timeseries("Generator fuel", "Fuel level of the site's generator. Mức nhiên liệu máy phát.",
                   [target(f"sitewatch_fuel_level_ratio{{{S}}}", "fuel")], unit="percentunit", min_=0, max_=1),
    )
    g.add(row("Polling / Thu thập"))
    g.add(
        timeseries("Age of last good poll", "Seconds since the last successful poll.",
                   [target(f"time() - sitewatch_site_last_poll_success_timestamp_seconds{{{S}}}", "age")],
                   unit="s", min_=0),
        timeseries("Poll failures over time", "Consecutive failed polls, and the reason of the last failure.",
                   targets((f"sitewatch_site_consecutive_poll_failures{{{S}}}", "failures in a row"),
                           (f"sitewatch_site_poll_error{{{S}}} == 1", "last error: {{reason}}")),
                   min_=0, draw="steps"),
    )
    variables = [
        datasource_variable(),
        label_variable("province", "Province / Tỉnh", "label_values(sitewatch_site_info, province)",
                       description="Narrows the site list"),
        label_variable("site", "Site / Trạm", 'label_values(sitewatch_site_info{province=~"$province"}, site)',
                       all_=False, multi=False),
    ]
    return dashboard(uid="sitewatch-site", title="sitewatch — Site detail",
                     description="One site in detail: power, battery, links, alarms, polling. Chi tiết một trạm.",
                     grid=g, variables=variables, refresh="30s", time_from="now-6h",
                     panel_types=[p["type"] for p in g.panels])


DASHBOARDS = {"sitewatch-fleet.json": fleet_dashboard, "sitewatch-site.json": site_dashboard}
OUT = Path(__file__).resolve().parent / "dashboards"


def render(dash: Json) -> str:
    """Stable text: keys sorted, two-space indent, UTF-8 kept readable, newline at the end."""
    return json.dumps(dash, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when a JSON file is out of date")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    stale = []
    for name, build in DASHBOARDS.items():
        path, text = args.out / name, render(build())
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date (run python3 grafana/generate.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
