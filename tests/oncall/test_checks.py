"""The duty sections checked at load: each mistake at its file, line and field; and the
warnings ``check-config`` prints for a valid config that would page nobody."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.cli import main
from sitewatch.config.loader import load_config
from sitewatch.core.errors import ConfigError
from sitewatch.oncall.checks import oncall_warnings
from tests.oncall.util import at

GOOD = """\
teams:
  ut-pleiku: {name: Tổ ứng cứu Pleiku}
channels:
  sms: {type: sms_gateway, settings: {url: "http://127.0.0.1:9800/sms", body: {to: "{to}", text: "{text}"}}}
people:
  an:
    name: Nguyễn Văn An
    teams: [ut-pleiku]
    contacts: [{channel: sms, address: "+84905000001"}]
  binh:
    name: Trần Thị Bình
    contacts: [{channel: sms, address: "+84905000002"}]
rosters:
  pleiku:
    name: Trực Pleiku
    team: ut-pleiku
    layers:
      - {name: day, members: [an, binh], shift: 1d, start: 2026-01-05, handoff: 07:00}
policies:
  district:
    levels:
      - {notify: [{roster: pleiku}], wait: 10m}
      - {notify: [{people: [binh]}, {team: ut-pleiku}]}
routes:
  - {match: {team: [ut-pleiku], kind: [bts], criticality: [critical], condition: [on_battery]}, policy: district,
     wait_factor: 0.5}
  - {policy: district}
"""


def _load_issues(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    (tmp_path / "oncall.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "oncall.yaml")
    return [(i.line, i.field, i.reason) for i in e.value.issues]


def test_the_good_config_loads_without_warnings(tmp_path: Path) -> None:
    (tmp_path / "oncall.yaml").write_text(GOOD, encoding="utf-8")
    config = load_config(tmp_path / "oncall.yaml")
    assert config.rosters["pleiku"].layers[0].handoff.isoformat() == "07:00:00"
    assert oncall_warnings(config, at("2026-03-01T00:00")) == []


def test_unquoted_yaml_times_are_the_clock_times_written(tmp_path: Path) -> None:
    # YAML 1.1 reads 18:00 as the base-60 number 1080 and 18:00:30 as 64830
    text = GOOD.replace("handoff: 07:00}", "handoff: 18:00, restrictions: [{start: 18:00:30, end: 7:00}]}")
    (tmp_path / "oncall.yaml").write_text(text, encoding="utf-8")
    layer = load_config(tmp_path / "oncall.yaml").rosters["pleiku"].layers[0]
    assert [t.isoformat() for t in (layer.handoff, layer.restrictions[0].start, layer.restrictions[0].end)] == [
        "18:00:00", "18:00:30", "07:00:00"]


def test_every_unknown_name_is_reported_at_its_line(tmp_path: Path) -> None:
    text = (GOOD.replace("contacts: [{channel: sms, address: \"+84905000002\"}]",
                         "contacts: [{channel: zalo, address: \"+84905000002\"}]")
            .replace("members: [an, binh]", "members: [an, bihn]")
            .replace("team: ut-pleiku\n    layers", "team: ut-pleiku-x\n    layers")
            .replace("{roster: pleiku}", "{roster: pleku}")
            .replace("{people: [binh]}, {team: ut-pleiku}", "{people: [binh, chi]}, {team: noc}")
            .replace("  - {policy: district}", "  - {policy: provnce}"))
    assert _load_issues(tmp_path, text) == [
        (12, "people.binh.contacts[0].channel", "unknown channel 'zalo'"),
        (16, "rosters.pleiku.team", "unknown team 'ut-pleiku-x' (did you mean 'ut-pleiku'?)"),
        (18, "rosters.pleiku.layers[0].members[1]", "unknown person 'bihn' (did you mean 'binh'?)"),
        (22, "policies.district.levels[0].notify[0].roster", "unknown roster 'pleku' (did you mean 'pleiku'?)"),
        (23, "policies.district.levels[1].notify[0].people[1]", "unknown person 'chi'"),
        (23, "policies.district.levels[1].notify[1].team", "unknown team 'noc'"),
        (27, "routes[1].policy", "unknown policy 'provnce'"),
    ]


def test_route_matches_must_name_real_kinds_criticalities_conditions_and_teams(tmp_path: Path) -> None:
    text = GOOD.replace("kind: [bts], criticality: [critical], condition: [on_battery]",
                        "kind: [BTS], criticality: [hospital], condition: [on-battery]").replace(
                        "match: {team: [ut-pleiku]", "match: {team: [ut-plieku]")
    issues = _load_issues(tmp_path, text)
    assert [(line, field) for line, field, _ in issues] == [
        (25, "routes[0].match.kind[0]"), (25, "routes[0].match.criticality[0]"),
        (25, "routes[0].match.condition[0]"), (25, "routes[0].match.team[0]"),
    ]
    reasons = [r for _, _, r in issues]
    assert reasons[0].startswith("unknown kind 'BTS' (did you mean 'bts'?) (one of: bts, fixed_station, ")
    assert reasons[1] == "unknown criticality 'hospital' (one of: critical, high, normal)"
    assert reasons[2].startswith("unknown condition 'on-battery' (did you mean 'on_battery'?)")
    assert reasons[3] == "unknown team 'ut-plieku' (did you mean 'ut-pleiku'?)"


def test_a_route_after_the_catch_all_is_never_reached(tmp_path: Path) -> None:
    text = GOOD + "  - {match: {kind: [bts]}, policy: district}\n"
    assert _load_issues(tmp_path, text) == [
        (28, "routes[2]",
         f"never reached: the route at {tmp_path / 'oncall.yaml'}:27 before it matches every incident"),
    ]


def test_a_contact_on_an_sms_channel_needs_a_number(tmp_path: Path) -> None:
    text = GOOD.replace('contacts: [{channel: sms, address: "+84905000002"}]', "contacts: [{channel: sms}]")
    assert _load_issues(tmp_path, text) == [
        (12, "people.binh.contacts[0]", "a contact on channel 'sms' (sms_gateway) needs an address (a phone number)"),
    ]


@pytest.mark.parametrize(("channel", "good", "address", "reason"), [
    ("sms: {type: sms_gateway, settings: {url: \"http://127.0.0.1:9800/sms\", body: {to: \"{to}\", text: \"{text}\"}}}",
     "+84905000001", "090-five",
     "a contact on channel 'sms' (sms_gateway) has address '090-five', which is not a phone number: "
     "give digits, optionally after +"),
    ("sms: {type: email, settings: {host: 127.0.0.1, from: noc@vnpt.example}}",
     "an@vnpt.example", "binh at vnpt",
     "a contact on channel 'sms' (email) has address 'binh at vnpt', which is not an email address: it has no @"),
    ("sms: {type: telegram, secrets: {bot_token: {value: \"1:x\"}}}",
     "-1001234567890", "binh",
     "a contact on channel 'sms' (telegram) has address 'binh', which is not a Telegram chat id: give"),
])
def test_a_contact_address_the_channel_cannot_use_is_refused_at_load(
        tmp_path: Path, channel: str, good: str, address: str, reason: str) -> None:
    text = GOOD.replace("sms: {type: sms_gateway, settings: {url: \"http://127.0.0.1:9800/sms\", "
                        "body: {to: \"{to}\", text: \"{text}\"}}}", channel)
    text = text.replace('address: "+84905000002"', f'address: "{address}"').replace("+84905000001", good)
    ((line, field, said),) = _load_issues(tmp_path, text)
    assert (line, field) == (12, "people.binh.contacts[0].address") and said.startswith(reason)


@pytest.mark.parametrize(("channel", "address"), [
    ("sms_gateway", "+84 905 000 002"), ("sms_gateway", "0905.000.002"), ("email", "Bình <binh@vnpt.example>"),
    ("telegram", "-1001234567890"), ("telegram", "@noc_pleiku"),
])
def test_addresses_as_operators_write_them_are_accepted(channel: str, address: str) -> None:
    from sitewatch.notify.registry import CHANNELS

    rule = CHANNELS[channel].address
    assert rule is not None and rule.problem(address) is None


def test_roster_mistakes_caught_by_the_schema_are_located_too(tmp_path: Path) -> None:
    text = GOOD.replace("    team: ut-pleiku\n", "    team: ut-pleiku\n    timezone: Asia/Pleiku\n")
    text = text.replace("handoff: 07:00}", "handoff: 07:00, restrictions: [{start: 25:00}]}")
    text = text.replace("shift: 1d", "shift: 5m")
    issues = _load_issues(tmp_path, text)
    assert [(line, field) for line, field, _ in issues] == [(17, "rosters.pleiku.timezone"),
                                                            (19, "rosters.pleiku.layers[0].shift"),
                                                            (19, "rosters.pleiku.layers[0].restrictions[0].start")]
    assert issues[0][2] == "unknown time zone 'Asia/Pleiku'"
    assert issues[1][2] == "a shift must be at least 15 minutes (e.g. '12h', '1d', '7d')"
    assert "expected a local time such as '08:00'" in issues[2][2]
    # the broken roster is set aside, and its name still counts: no "unknown roster 'pleiku'"


def test_an_override_mixing_local_and_offset_times_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = GOOD.replace(
        "handoff: 07:00}\n", "handoff: 07:00}\n    overrides:\n"
        "      - {person: an, start: 2026-03-02T07:00:00, end: 2026-03-03T07:00:00+07:00}\n")
    assert _load_issues(tmp_path, text) == [
        (20, "rosters.pleiku.overrides[0]",
         "give start and end both with a UTC offset or both without (the roster's local time)"),
    ]


def test_warnings_name_gaps_people_without_contacts_empty_teams_and_no_default_route(tmp_path: Path) -> None:
    text = (GOOD.replace("start: 2026-01-05, handoff: 07:00}",
                         "start: 2026-01-05, handoff: 07:00, restrictions: [{days: [mon, tue, wed, thu, fri]}]}")
            .replace('contacts: [{channel: sms, address: "+84905000002"}]', "contacts: []")
            .replace("{team: ut-pleiku}", "{team: noc}")
            .replace("  - {policy: district}\n", "")
            .replace("teams:\n", "teams:\n  noc: {name: NOC}\n"))
    (tmp_path / "oncall.yaml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "oncall.yaml")
    assert oncall_warnings(config, at("2026-03-02T00:00")) == [
        "roster pleiku: nobody on call for 96.0 h in the next 14 days: 2026-03-07 00:00 +07 to 2026-03-09 00:00 +07; "
        "2026-03-14 00:00 +07 to 2026-03-16 00:00 +07",
        "person binh (Trần Thị Bình) has no contact method but is on roster pleiku, paged by policy district: "
        "they cannot be paged",
        "team noc is paged by a policy but no person lists it under teams",
        "no default route (one without match): an incident no route matches falls back to the last route "
        "(policy district)",
    ]


def test_check_config_prints_the_warnings_and_still_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "oncall.yaml").write_text(GOOD.replace("members: [an, binh]", "members: [an, binh], start: 2099-01-05"
                                                       ).replace(", start: 2026-01-05", ""), encoding="utf-8")
    assert main(["check-config", str(tmp_path / "oncall.yaml")]) == 0
    out = capsys.readouterr().out
    assert "configuration OK" in out
    warnings = out[out.index("warnings:"):].splitlines()
    assert len(warnings) == 2
    assert warnings[1].startswith("  roster pleiku: nobody on call for 336.0 h in the next 14 days: ")
