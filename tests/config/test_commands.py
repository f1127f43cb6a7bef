"""``sitewatch check-config`` and ``sitewatch import-sites`` as an operator runs them."""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sitewatch.commands import check_config, import_sites
from sitewatch.config.csvsites import sites_from_csv
from sitewatch.config.schema import Site

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "gialai"
BAD = ROOT / "tests" / "fixtures" / "bad-config"
#: the profile names the example config uses, which sitewatch/profiles ships
EXAMPLE_PROFILES = (
    "ups-mib", "if-mib", "entity-sensor", "eltek-smartpack", "eltek-sp2", "vertiv-netsure",
    "vertiv-ees", "huawei-site-monitor", "algcom-dc-ups", "packetflux-sitemonitor",
)  # fmt: skip


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sitewatch")
    sub = parser.add_subparsers(dest="command", required=True)
    check_config.add_parser(sub)
    import_sites.add_parser(sub)
    return parser.parse_args(argv)


def test_through_the_sitewatch_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from sitewatch.cli import main

    assert main(["check-config", str(BAD / "unknown-team.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"{BAD / 'unknown-team.yaml'}:9: sites[0] (GL-BTS-0001).team: unknown team 'ut-pleku'" in err


def test_check_config_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.yaml").write_text(
        "daemon: {poll_interval: 30s}\n"
        "credentials:\n  lab: {version: 2c, community: {value: lab-community-x}}\n"
        "sites:\n  - {id: GL-1, name: Trạm BTS Gào, kind: bts, province: Gia Lai,"
        " snmp: [{host: 127.0.0.1, credential: lab}]}\n",
        encoding="utf-8",
    )
    assert check_config.run(parse("check-config", str(tmp_path))) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[:3] == [
        f"{tmp_path}: configuration OK",
        "1 sites, 1 SNMP targets, 1 credentials, 0 utilities, 0 teams",
        "daemon: listen 127.0.0.1:9641; poll every 30s (SNMP timeout 2s, retries 1, concurrency 200, "
        "lean client); stale after 90s",
    ]
    assert "lab-community-x" not in out


def test_check_config_on_the_example_with_the_shipped_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    """The real command, with the profiles sitewatch ships (not a list given by this test)."""
    missing = sorted(
        name for name in EXAMPLE_PROFILES if not (ROOT / "sitewatch" / "profiles" / f"{name}.yaml").exists()
    )
    assert not missing, f"profiles the example uses are not shipped: {', '.join(missing)}"
    assert check_config.run(parse("check-config", str(EXAMPLE))) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.startswith(f"{EXAMPLE}: configuration OK\n71 sites, 152 SNMP targets")
    assert "sites by criticality: normal 64, high 4, critical 3; 1 in restricted areas" in out
    assert "lab-auth" not in out and "gialai-lab" not in out  # secrets stay in their files


def test_check_config_lists_every_issue(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config.run(parse("check-config", str(BAD / "csv-references"))) == 1
    out, err = capsys.readouterr()
    assert out == ""
    csv = BAD / "csv-references" / "post-offices.csv"
    assert err.splitlines() == [
        f"{csv}:3: parent: unknown parent site 'GL-TTVT-AKE' (did you mean 'GL-TTVT-PKU'?)",
        f"{csv}:3: credential: unknown credential 'labb' (did you mean 'lab'?)",
        f"{csv}:3: power_utility: utility 'cntn-gialai' supplies water, not power",
        f"{BAD / 'csv-references'}: 3 problems found",
    ]


def test_import_sites_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = EXAMPLE / "post-offices.csv"
    out_file = tmp_path / "post-offices.yaml"
    assert import_sites.run(parse("import-sites", str(csv), "-o", str(out_file))) == 0
    assert capsys.readouterr().err == f"wrote 10 sites to {out_file}\n"
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("# Generated from post-offices.csv by `sitewatch import-sites`.\n")
    assert [Site.model_validate(d) for d in yaml.safe_load(text)["sites"]] == sites_from_csv(csv)


def test_import_sites_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert import_sites.run(parse("import-sites", str(EXAMPLE / "post-offices.csv"))) == 0
    out = capsys.readouterr().out
    assert "name: Bưu cục Đức Cơ" in out


def test_import_sites_reports_bad_rows(capsys: pytest.CaptureFixture[str]) -> None:
    csv = BAD / "bad-csv-row" / "sites.csv"
    assert import_sites.run(parse("import-sites", str(csv))) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert [line.split(": ")[:2] for line in err.splitlines()] == [[f"{csv}:5", "kind"], [f"{csv}:5", "latitude"]]


def test_an_alias_bomb_is_refused_at_once_with_bounded_memory() -> None:
    """The real command in a process that may not map more than 400 MB: building the bomb
    (1.3 GB at one level less) would end in a MemoryError traceback instead of this message."""
    bomb = BAD / "alias-bomb.yaml"
    cap = 400 * 1024 * 1024

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    done = subprocess.run([sys.executable, "-m", "sitewatch", "check-config", str(bomb)], capture_output=True,
                          text=True, timeout=120, preexec_fn=limit_memory, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"{bomb}:8: too many alias expansions (more than 100,000 values once expanded, from 19 written in the file)",
        f"{bomb}: 1 problem found",
    ]


@pytest.mark.parametrize("damage", ["tab", "empty"])
def test_a_file_that_cannot_be_loaded_is_reported_first_and_alone(
    damage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example config with one tab in teams.yaml (which gave 106 follow-on ``unknown team``
    errors) or with teams.yaml emptied (which was never named)."""
    config = tmp_path / "gialai"
    shutil.copytree(EXAMPLE, config)
    teams = config / "teams.yaml"
    lines = teams.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[12] == "    province: Gia Lai\n"
    teams.write_text("".join([*lines[:12], "\t" + lines[12].lstrip(), *lines[13:]]) if damage == "tab" else "",
                     encoding="utf-8")
    assert check_config.run(parse("check-config", str(config))) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{teams}:13: YAML syntax error: while scanning a plain scalar started at line 12: "
        "found a tab character that violates indentation"
        if damage == "tab" else
        f"{teams}: empty file: it defines nothing (included at {config / 'sitewatch.yaml'}:27)",
        f"{config}: 1 problem found",
    ]


def test_a_roster_a_policy_pages_with_nobody_in_it_fails_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "roster-without-members.yaml"
    assert check_config.run(parse("check-config", str(path))) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:7: rosters.ut-pleiku.layers: nobody is in this roster (no layer lists a member, no override), "
        "but policy 'default' level 2 pages it: that level would reach nobody",
        f"{path}: 1 problem found",
    ]


def _site_yaml(site_id: str, kind: str, target: str, extra: str = "") -> str:
    return (f"  - id: {site_id}\n    name: {site_id}\n    kind: {kind}\n    province: Gia Lai\n{extra}"
            f"    snmp:\n      - {{host: 127.0.0.1, credential: lab, {target}}}\n")


def test_check_config_warns_of_a_site_whose_power_is_not_watched(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "credentials:\n  lab: {version: 2c, community: {value: lab}}\n"
        "site_kinds:\n  fixed_station: {power_equipment: false}\nsites:\n"
        + _site_yaml("GL-BTS-0042", "bts", "profiles: [snr-erd, if-mib]")  # contacts not wired
        + _site_yaml("GL-BTS-0043", "bts", "profiles: [snr-erd], inputs: {2: mains}")
        + _site_yaml("GL-BTS-0044", "bts", "profiles: [if-mib]", "    power_equipment: false\n")
        + _site_yaml("GL-BC-0001", "post_office", "profiles: [if-mib]")  # nothing to watch by kind
        + _site_yaml("GL-CD-0001", "fixed_station", "profiles: [if-mib]")  # declared by kind
        + _site_yaml("GL-TS-0001", "telecom_station", "profiles: [if-mib]"))
    assert check_config.run(parse("check-config", str(path))) == 0
    out = capsys.readouterr().out
    warned = [line.split()[0] for line in out.split("warnings:\n", 1)[1].splitlines()]
    assert warned == ["GL-BTS-0042", "GL-TS-0001"], out
    assert "its profiles (snr-erd, if-mib) read no mains_ok, on_battery or battery value" in out
