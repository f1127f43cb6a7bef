"""No secret ever appears in what sitewatch prints: repr, str, dumps, summaries, or errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import SnmpV3Credential
from sitewatch.config.summary import format_summary
from sitewatch.core.errors import ConfigError

ENV_SECRET = "env-secret-7f3a9c"
FILE_SECRET = "file-secret-2b8d41"
INLINE_SECRET = "inline-secret-5e6f70"
SITE_SECRET = "per-site-secret-91c2d3"
SECRETS = (ENV_SECRET, FILE_SECRET, INLINE_SECRET, SITE_SECRET)

CONFIG = """
credentials:
  env: {version: 2c, community: {env: SITEWATCH_TEST_SECRET}}
  noc:
    version: 3
    username: noc
    auth_protocol: sha256
    auth_password: {file: auth.secret}
    priv_protocol: aes256
    priv_password: {value: @INLINE@}
sites:
  - id: S1
    name: S1
    kind: bts
    province: Gia Lai
    snmp: [{host: 127.0.0.1, credential: env, community: {value: @SITE@}}]
""".replace("@INLINE@", INLINE_SECRET).replace("@SITE@", SITE_SECRET)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_loaded_config_never_shows_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEWATCH_TEST_SECRET", ENV_SECRET)
    (tmp_path / "auth.secret").write_text(FILE_SECRET + "\n")
    (tmp_path / "c.yaml").write_text(CONFIG)
    config = load_config(tmp_path / "c.yaml", known_profiles=())
    # the secrets are there for the code that needs them...
    noc = config.credentials["noc"]
    assert isinstance(noc, SnmpV3Credential) and noc.auth_password is not None
    assert noc.auth_password.reveal() == FILE_SECRET
    community = config.sites[0].snmp[0].community
    assert community is not None and community.reveal() == SITE_SECRET
    # ...and nowhere in what can be printed or serialised
    for text in (
        repr(config),
        str(config),
        repr(config.model_dump()),
        config.model_dump_json(),
        repr(config.credentials),
        repr(config.sites[0]),
        format_summary(config),
    ):
        assert_no_secret(text)


def test_errors_never_show_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEWATCH_TEST_SECRET", ENV_SECRET)
    (tmp_path / "short.secret").write_text(FILE_SECRET[:6])
    (tmp_path / "c.yaml").write_text(
        textwrap.dedent(
            f"""
            credentials:
              a: {{version: 2c, community: {{env: SITEWATCH_TEST_SECRET, value: {INLINE_SECRET}}}}}
              b: {{version: 2c, community: {{valeu: {SITE_SECRET}}}}}
              c: {{version: 3, username: u, auth_protocol: md5, auth_password: {{file: short.secret}}}}
              d: {{version: 3, username: u, auth_protocol: md5, auth_password: {{value: 12345678901}}}}
            """
        )
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "c.yaml", known_profiles=())
    text = str(caught.value)
    assert len(caught.value.issues) == 4
    assert_no_secret(text)
    assert FILE_SECRET[:6] not in text and "12345678901" not in text


def test_yaml_syntax_errors_do_not_quote_the_line(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(f'credentials:\n  a: {{version: 2c, community: {{value: "{INLINE_SECRET}}}}}\n')
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "c.yaml", known_profiles=())
    assert caught.value.issues[0].reason.startswith("YAML syntax error")
    assert_no_secret(str(caught.value))
