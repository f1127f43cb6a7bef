"""One bad-config fixture per kind of mistake: each must be reported at its file, line and field.

The fixtures are under tests/fixtures/bad-config/; each starts with a comment saying what is
wrong. Every issue the loader reports is listed here, so an extra or missing issue fails too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.core.errors import ConfigError, ConfigIssue

BAD = Path(__file__).resolve().parent.parent / "fixtures" / "bad-config"
PROFILES = frozenset({"ups-mib", "if-mib", "entity-sensor", "eltek-smartpack", "snr-erd"})

# fixture → [(file name, line, field, words the reason must contain)]
CASES: dict[str, list[tuple[str, int | None, str, str]]] = {
    "unknown-key.yaml": [
        ("unknown-key.yaml", 7, "sites[0] (GL-BTS-0001).snmpp", "unknown key 'snmpp' (did you mean 'snmp'?)"),
    ],
    "unknown-section.yaml": [
        ("unknown-section.yaml", 2, "utility", "unknown key 'utility' (did you mean 'utilities'?)"),
    ],
    "wrong-type.yaml": [
        (
            "wrong-type.yaml",
            11,
            "sites[0] (GL-BTS-0001).snmp[0].port",
            "Input should be a valid integer, unable to parse string as an integer (got 'one-six-one')",
        ),
    ],
    "missing-required.yaml": [
        ("missing-required.yaml", 8, "sites[1] (GL-BTS-0002).name", "missing required field 'name'"),
    ],
    "yaml-syntax.yaml": [
        ("yaml-syntax.yaml", 8, "", "YAML syntax error: while parsing a flow sequence started at line 7"),
    ],
    "bad-duration.yaml": [
        ("bad-duration.yaml", 4, "daemon.poll_interval", "expected a duration such as 60, '30s', '5m'"),
    ],
    "room-temperature-hysteresis.yaml": [
        ("room-temperature-hysteresis.yaml", 7, "sites[0] (GL-BTS-0001).thresholds",
         "room_temperature_clear must be on the safe side of room_temperature_high (hysteresis)"),
    ],
    "bad-listen.yaml": [
        ("bad-listen.yaml", 4, "daemon.listen", "expected HOST:PORT"),
    ],
    "unknown-timezone.yaml": [
        ("unknown-timezone.yaml", 3, "daemon.timezone", "unknown time zone 'Asia/Saigon City'"),
    ],
    "bad-snmp-version.yaml": [
        ("bad-snmp-version.yaml", 4, "credentials.lab.version", "version must be 1, 2c or 3"),
    ],
    "lat-without-lon.yaml": [
        ("lat-without-lon.yaml", 3, "sites[0] (GL-BTS-0001)", "latitude and longitude go together"),
    ],
    "unknown-credential.yaml": [
        (
            "unknown-credential.yaml",
            11,
            "sites[0] (GL-BTS-0001).snmp[1].credential",
            "unknown credential 'lab-v2' (did you mean 'lab-v2c'?)",
        ),
    ],
    "unknown-parent.yaml": [
        (
            "unknown-parent.yaml",
            13,
            "sites[1] (GL-BTS-0001).parent",
            "unknown parent site 'GL-TTVT-PKI' (did you mean 'GL-TTVT-PKU'?)",
        ),
    ],
    "parent-cycle.yaml": [
        ("parent-cycle.yaml", 3, "sites[0] (GL-A).parent", "parent cycle: GL-A → GL-C → GL-B → GL-A"),
    ],
    "unknown-input-meaning.yaml": [
        ("unknown-input-meaning.yaml", 14, "sites[0] (GL-BTS-0042).snmp[0].inputs.2.means",
         "unknown meaning 'main': one of mains, generator, door"),
    ],
    "input-not-on-profile.yaml": [
        ("input-not-on-profile.yaml", 15, "sites[0] (GL-BTS-0042).snmp[0].inputs.7",
         "no input 7 on snr-erd (inputs: 1, 2, 3, 4, 5)"),
    ],
    "unknown-profile.yaml": [
        (
            "unknown-profile.yaml",
            14,
            "sites[0] (GL-BTS-0001).snmp[0].profiles[1]",
            "unknown profile 'eltek-smartpak' (did you mean 'eltek-smartpack'?)",
        ),
    ],
    "wrong-utility-kind.yaml": [
        (
            "wrong-utility-kind.yaml",
            11,
            "sites[0] (GL-BTS-0001).power.utility",
            "utility 'cntn-gialai' supplies water, not power",
        ),
    ],
    "unknown-team.yaml": [
        ("unknown-team.yaml", 9, "sites[0] (GL-BTS-0001).team", "unknown team 'ut-pleku' (did you mean 'ut-pleiku'?)"),
    ],
    "bad-fallback-rule.yaml": [
        ("bad-fallback-rule.yaml", 15, "people.an.rules[1].if_down.contact",
         "contact 3 does not exist (the person has 3)"),
        ("bad-fallback-rule.yaml", 16, "people.an.rules[2].if_down",
         "falls back to the same channel 'sms' it stands in for"),
    ],
    "missing-env-secret.yaml": [
        (
            "missing-env-secret.yaml",
            6,
            "credentials.lab.community.env",
            "environment variable SITEWATCH_TEST_UNSET_COMMUNITY is not set",
        ),
    ],
    "unreadable-secret-file.yaml": [
        (
            "unreadable-secret-file.yaml",
            7,
            "credentials.noc-v3.auth_password.file",
            "bad-config/secrets/does-not-exist does not exist",
        ),
        (
            "unreadable-secret-file.yaml",
            9,
            "credentials.noc-v3.priv_password.file",
            "bad-config/secrets is a directory",
        ),
    ],
    "duplicate-key-one-file.yaml": [
        (
            "duplicate-key-one-file.yaml",
            5,
            "teams.ut-pleiku",
            "key 'ut-pleiku' given twice in this mapping (first at line 3)",
        ),
    ],
    "missing-include.yaml": [
        ("missing-include.yaml", 3, "include[0]", "no such file: "),
    ],
    "duplicate-site-id": [
        (
            "b.yaml",
            8,
            "sites[1] (GL-BTS-0001).id",
            "duplicate site id 'GL-BTS-0001', first defined at " + str(BAD / "duplicate-site-id" / "a.yaml") + ":3",
        ),
    ],
    "duplicate-credential": [
        (
            "more-credentials.yaml",
            4,
            "credentials.lab",
            "defined twice: here and at " + str(BAD / "duplicate-credential" / "main.yaml") + ":4",
        ),
    ],
    "daemon-twice": [
        ("b.yaml", 2, "daemon", "section 'daemon' is also defined at " + str(BAD / "daemon-twice" / "a.yaml") + ":1"),
    ],
    "bad-csv-row": [
        ("sites.csv", 5, "kind", "Input should be 'noc_building', 'telecom_station'"),
        ("sites.csv", 5, "latitude", "valid number, unable to parse string as a number (got '13.39.47')"),
    ],
    "alias-bomb.yaml": [
        ("alias-bomb.yaml", 8, "", "too many alias expansions (more than 100,000 values once expanded, from 19"),
    ],
    "empty-include": [
        (
            "teams.yaml",
            None,
            "",
            "empty file: it defines nothing (included at " + str(BAD / "empty-include" / "sitewatch.yaml") + ":4)",
        ),
    ],
    "tab-in-include": [
        ("teams.yaml", 6, "", "YAML syntax error: while scanning a plain scalar started at line 5: found a tab"),
    ],
    "roster-without-members.yaml": [
        (
            "roster-without-members.yaml",
            7,
            "rosters.ut-pleiku.layers",
            "nobody is in this roster (no layer lists a member, no override), but policy 'default' level 2 pages it",
        ),
    ],
    "utility-contact-unreachable.yaml": [
        ("utility-contact-unreachable.yaml", 7, "utilities.pc-gialai.contacts.dieu-do",
         "give at least one of phone, email, sms or webhook"),
    ],
    "utility-areas.yaml": [
        ("utility-areas.yaml", 15, "utilities.pc-gialai.contacts.dl-pleiku.after_hours",
         "unknown contact 'dieudo' of utility 'pc-gialai' (did you mean 'dieu-do'?)"),
        ("utility-areas.yaml", 18, "utilities.pc-gialai.areas[1].contact", "unknown contact 'dl-chuse'"),
        ("utility-areas.yaml", 26, "sites[0] (GL-BTS-0001).power.utility",
         "utility 'pc-gialai' has no area for this site (district 'Ia Grai')"),
    ],
    "unknown-callback-roster.yaml": [
        ("unknown-callback-roster.yaml", 5, "utility_requests.sender.callback_roster",
         "unknown roster 'truc-dieu-hanhh'"),
    ],
    "csv-references": [
        ("post-offices.csv", 3, "parent", "unknown parent site 'GL-TTVT-AKE'"),
        ("post-offices.csv", 3, "credential", "unknown credential 'labb' (did you mean 'lab'?)"),
        ("post-offices.csv", 3, "power_utility", "utility 'cntn-gialai' supplies water, not power"),
    ],
}


def _issues(path: Path) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, known_profiles=PROFILES)
    return caught.value.issues


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_each_mistake_is_reported_at_its_file_line_and_field(fixture: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITEWATCH_TEST_UNSET_COMMUNITY", raising=False)
    issues = _issues(BAD / fixture)
    got = [(Path(i.file).name, i.line, i.field) for i in issues]
    assert got == [(name, line, field) for name, line, field, _ in CASES[fixture]]
    for issue, (*_, words) in zip(issues, CASES[fixture], strict=True):
        assert words in issue.reason
        assert str(issue).startswith(f"{issue.file}:{issue.line}: " if issue.line else issue.file)


def test_every_fixture_has_a_case() -> None:
    fixtures = {p.name for p in BAD.iterdir() if p.name != "secrets"}
    assert fixtures == set(CASES)


def test_issue_text_reads_file_line_field_reason() -> None:
    (issue,) = _issues(BAD / "unknown-team.yaml")
    assert str(issue) == (
        f"{BAD / 'unknown-team.yaml'}:9: sites[0] (GL-BTS-0001).team: "
        "unknown team 'ut-pleku' (did you mean 'ut-pleiku'?)"
    )
