"""Loading behaviour: directories, includes, merging, durations, secrets, relative paths, and
reporting every issue of a config in one run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import SecretRef, SnmpV1V2Credential, SnmpV3Credential
from sitewatch.config.yamlsource import ALIAS_FLOOR, MAX_DEPTH, read_yaml
from sitewatch.core.errors import ConfigError, ConfigIssue

PROFILES = frozenset({"ups-mib", "if-mib"})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def issues_of(path: Path) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, known_profiles=PROFILES)
    return caught.value.issues


def site(site_id: str, **extra: str) -> str:
    fields = ", ".join(f"{k}: {v}" for k, v in extra.items())
    return f"  - {{id: {site_id}, name: {site_id}, kind: bts, province: Gia Lai{', ' if fields else ''}{fields}}}\n"


def test_directory_merges_files_in_sorted_order_and_follows_includes(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", "sites:\n" + site("B1") + site("B2"))
    write(tmp_path / "a.yaml", "include: [clusters/*.y*ml, b.yaml]\nsites:\n" + site("A1"))
    write(tmp_path / "clusters" / "x.yaml", "sites:\n" + site("X1", parent="A1"))
    write(tmp_path / "clusters" / "w.yml", "teams:\n  ut-w: {name: W}\n")
    write(tmp_path / "notes.txt", "not read")
    config = load_config(tmp_path, known_profiles=PROFILES)
    # a.yaml, then its includes (the glob sorted, then b.yaml); b.yaml is not read a second time
    assert [s.id for s in config.sites] == ["A1", "X1", "B1", "B2"]
    assert set(config.teams) == {"ut-w"}


def test_mappings_merge_by_key_across_files(tmp_path: Path) -> None:
    write(tmp_path / "one.yaml", "utilities:\n  pc: {name: PC Gia Lai, kind: power}\n")
    write(tmp_path / "two.yaml", "utilities:\n  water: {name: Cấp thoát nước, kind: water}\n")
    assert set(load_config(tmp_path, known_profiles=PROFILES).utilities) == {"pc", "water"}


@pytest.mark.parametrize(("text", "seconds"), [("60", 60.0), ("'60s'", 60.0), ("5m", 300.0), ("1.5h", 5400.0)])
def test_durations(tmp_path: Path, text: str, seconds: float) -> None:
    path = write(tmp_path / "c.yaml", f"daemon:\n  poll_interval: {text}\n  snmp_timeout: 1500ms\n")
    daemon = load_config(path, known_profiles=PROFILES).daemon
    assert (daemon.poll_interval, daemon.snmp_timeout) == (seconds, 1.5)
    assert daemon.staleness_seconds == 3 * seconds


def test_relative_paths_are_relative_to_the_file_that_names_them(tmp_path: Path) -> None:
    write(tmp_path / "main.yaml", "include: [sub/more.yaml]\ndaemon: {state_dir: state}\n")
    write(tmp_path / "sub" / "more.yaml", "profile_dirs: [profiles, /opt/profiles]\n")
    config = load_config(tmp_path / "main.yaml", known_profiles=PROFILES)
    assert config.daemon.state_dir == str(tmp_path / "state")
    assert config.profile_dirs == (str(tmp_path / "sub" / "profiles"), "/opt/profiles")


def test_secrets_from_env_file_and_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEWATCH_TEST_COMMUNITY", "from-the-environment")
    write(tmp_path / "creds" / "secrets" / "auth", "auth-from-file\n")
    write(tmp_path / "main.yaml", "include: [creds/credentials.yaml]\n")
    write(
        tmp_path / "creds" / "credentials.yaml",
        """
        credentials:
          env: {version: 2c, community: {env: SITEWATCH_TEST_COMMUNITY}}
          inline: {version: 1, community: {value: inline-community}}
          v3:
            version: 3
            username: u
            auth_protocol: sha
            auth_password: {file: secrets/auth}
        """,
    )
    creds = load_config(tmp_path / "main.yaml", known_profiles=PROFILES).credentials
    env, inline, v3 = creds["env"], creds["inline"], creds["v3"]
    assert isinstance(env, SnmpV1V2Credential) and isinstance(inline, SnmpV1V2Credential)
    assert isinstance(v3, SnmpV3Credential) and v3.auth_password is not None
    assert env.community.reveal() == "from-the-environment"
    assert inline.community.reveal() == "inline-community"
    # relative to credentials.yaml, not to main.yaml or the working directory; newline dropped
    assert v3.auth_password.reveal() == "auth-from-file"
    assert v3.security_level == "authNoPriv"


def test_an_unresolved_reference_refuses_to_reveal() -> None:
    with pytest.raises(LookupError, match="env:X was not resolved"):
        SecretRef(env="X").reveal()


def test_every_issue_is_reported_in_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITEWATCH_TEST_UNSET", raising=False)
    write(
        tmp_path / "c.yaml",
        """
        credentials:
          lab: {version: 2c, community: {env: SITEWATCH_TEST_UNSET}}
          broken: {version: 2c}
        sites:
          - {id: S1, name: S1, kind: bts, province: Gia Lai, latitude: north, longitude: 108}
          - {id: S2, name: S2, kind: bts, province: Gia Lai, parent: S9}
          - id: S3
            name: S3
            kind: bts
            province: Gia Lai
            parent: S1
            snmp: [{host: 127.0.0.1, credential: broken}, {host: 127.0.0.2, credential: nope}]
        """,
    )
    got = [(i.line, i.field, i.reason.split(" (")[0]) for i in issues_of(tmp_path / "c.yaml")]
    assert got == [
        (2, "credentials.lab.community.env", "environment variable SITEWATCH_TEST_UNSET is not set"),
        (3, "credentials.broken.community", "missing required field 'community'"),
        (5, "sites[0] (S1).latitude", "Input should be a valid number, unable to parse string as a number"),
        (6, "sites[1] (S2).parent", "unknown parent site 'S9'"),
        # S1 failed validation but still exists: S3's parent is fine; so is the invalid credential
        (12, "sites[2] (S3).snmp[1].credential", "unknown credential 'nope'"),
    ]


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
        credentials:
          lab: {version: 2c, community: {value: lab}}
        x-bts: &bts {kind: bts, province: Gia Lai}
        sites:
          - {<<: *bts, id: S1, name: S1}
        """,
    )
    # the anchor holder is an unknown section: reported at its line, the merge itself works
    assert [(i.line, i.field) for i in issues_of(path)] == [(3, "x-bts")]


def test_snmp_version_may_be_a_number(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
        credentials:
          v1: {version: 1, community: {value: public-lab}}
          v3: {version: 3, username: monitor}
        """,
    )
    creds = load_config(path, known_profiles=PROFILES).credentials
    assert (creds["v1"].version, creds["v3"].version) == ("1", "3")


def test_v3_password_too_short(tmp_path: Path) -> None:
    write(tmp_path / "short", "2short\n")
    path = write(
        tmp_path / "c.yaml",
        "credentials:\n  v3: {version: 3, username: u, auth_protocol: sha, auth_password: {file: short}}\n",
    )
    (issue,) = issues_of(path)
    assert (issue.line, issue.field) == (2, "credentials.v3.auth_password.file")
    assert issue.reason == "file:short: SNMPv3 passwords need at least 8 characters"


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    (issue,) = issues_of(tmp_path / "nowhere")
    assert issue.reason == "no such file or directory"
    (issue,) = issues_of(tmp_path)
    assert issue.reason == "no *.yaml or *.yml file in this directory"


def test_an_unknown_profile_name_is_an_error_without_being_asked(tmp_path: Path) -> None:
    """Without ``known_profiles`` the shipped profiles (and ``profile_dirs``) decide."""
    path = write(
        tmp_path / "c.yaml",
        "credentials:\n  lab: {version: 2c, community: {value: lab}}\n"
        "sites:\n" + site("S1", snmp="[{host: 127.0.0.1, credential: lab, profiles: [no-such-profile-x]}]"),
    )
    with pytest.raises(ConfigError, match="unknown profile 'no-such-profile-x'"):
        load_config(path)


def test_a_section_keeps_its_shape_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "teams:\n  ut-a: {name: A}\n")
    write(tmp_path / "b.yaml", "# teams as a list by mistake\nteams:\n  - ut-b\n")
    (issue,) = issues_of(tmp_path)
    assert (Path(issue.file).name, issue.line, issue.field) == ("b.yaml", 2, "teams")
    assert issue.reason == "section 'teams' is a list here but a mapping elsewhere"


def test_merge_keys_own_keys_win_and_the_first_merged_mapping_wins(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """
        credentials:
          base: &base {version: 2c, community: {value: base-community}}
          other: &other {version: 1, community: {value: other-community}}
          lab: {<<: *base, community: {value: lab-community}}
          both: {<<: [*other, *base]}
        """,
    )
    creds = load_config(path, known_profiles=PROFILES).credentials
    assert creds["lab"] == SnmpV1V2Credential(version="2c", community=SecretRef(value="lab-community"))
    assert creds["both"] == SnmpV1V2Credential(version="1", community=SecretRef(value="other-community"))


def test_a_fleet_sharing_blocks_through_aliases_stays_within_the_bound(tmp_path: Path) -> None:
    """More values built than the floor, but a few per value written: a real config, not a bomb."""
    n = ALIAS_FLOOR // 8
    snmp = "[{host: 127.0.0.1, credential: lab, profiles: [ups-mib, if-mib], timeout: 2, retries: 1}]"
    lines = [f"x-snmp: &snmp {snmp}", "sites:"]
    lines += [f"  - {{id: S{i}, name: S{i}, kind: bts, province: Gia Lai, snmp: *snmp}}" for i in range(n)]
    (tmp_path / "c.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc, issues = read_yaml(tmp_path / "c.yaml", "c.yaml")
    assert issues == [] and doc is not None
    assert len(doc.data["sites"]) == n and doc.data["sites"][-1]["snmp"][0]["profiles"] == ["ups-mib", "if-mib"]
    assert doc.line_of(("sites", n - 1, "snmp", 0, "host")) == 1  # the copy is located at the anchor


def test_an_alias_bomb_of_merge_keys_is_refused_too(tmp_path: Path) -> None:
    lines = ["a: &a {" + ", ".join(f"k{i}: [x, x, x, x, x, x, x, x, x]" for i in range(9)) + "}"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} {{" + ", ".join(f"{prev}{i}: *{prev}" for i in range(9)) + "}")
    path = tmp_path / "c.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (issue,) = issues_of(path)
    assert issue.reason.startswith("too many alias expansions") and issue.line == 5


def test_an_empty_file_is_named_whether_given_alone_or_in_a_directory(tmp_path: Path) -> None:
    empty = write(tmp_path / "alone" / "sitewatch.yaml", "")
    assert [str(i) for i in issues_of(empty)] == [f"{empty}: empty file: it defines nothing"]
    write(tmp_path / "dir" / "a.yaml", "sites:\n" + site("S1", team="noc"))
    comments = write(tmp_path / "dir" / "teams.yaml", "# teams:\n#   noc: {name: NOC}\n")
    assert [str(i) for i in issues_of(tmp_path / "dir")] == [f"{comments}: empty file: it defines nothing"]


def test_every_file_that_cannot_be_loaded_is_reported_and_nothing_else(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "include: [missing.yaml]\nsites:\n" + site("S1", team="noc", parent="S9"))
    b = write(tmp_path / "b.yaml", "teams: {noc: {name: NOC}\n")
    assert [(Path(i.file).name, i.line, i.reason.split(":")[0]) for i in issues_of(tmp_path)] == [
        ("a.yaml", 1, "no such file"),
        (b.name, 2, "YAML syntax error"),
    ]


def test_absurd_nesting_is_refused_at_its_line_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("teams:\n" + "".join("  " * i + "-\n" for i in range(1, 600)) + "  " * 600 + "x\n",
                    encoding="utf-8")
    assert [str(i) for i in issues_of(path)] == [f"{path}:{MAX_DEPTH + 2}: nested more than {MAX_DEPTH} levels deep"]
