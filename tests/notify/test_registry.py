"""The registry: one entry per configurable channel type, strict settings, clear messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from sitewatch.config import reference
from sitewatch.config.base import SecretRef
from sitewatch.config.loader import load_config
from sitewatch.config.oncall_schema import ChannelConfig
from sitewatch.config.schema import Config
from sitewatch.core.errors import ConfigError, PermanentSendError
from sitewatch.notify.channel import Address, ChannelSettings, ChannelType
from sitewatch.notify.model import Delivery
from sitewatch.notify.registry import CHANNELS, build_notifier, build_notifiers, validate_channel
from sitewatch.notify.telegram import TelegramNotifier


def cfg(type_: str, settings: dict[str, Any], secrets: dict[str, str] | None = None) -> ChannelConfig:
    return ChannelConfig.model_validate(
        {"type": type_, "settings": settings, "secrets": {k: {"value": v} for k, v in (secrets or {}).items()}})


def test_every_configurable_type_has_exactly_one_module() -> None:
    assert list(CHANNELS) == ["sms_gateway", "email", "telegram", "webhook", "slack", "alertmanager"]
    assert all(name == channel.name for name, channel in CHANNELS.items())
    with pytest.raises(ValidationError, match="Input should be 'sms_gateway', 'email', 'telegram', 'webhook', "
                                              "'slack' or 'alertmanager'"):
        ChannelConfig.model_validate({"type": "pager"})


# -- a channel added by its module and one registry entry alone ---------------------------

class PagerSettings(ChannelSettings):
    #: the paging terminal's HTTP endpoint
    url: str


@dataclass
class PagerNotifier:
    name: str
    settings: PagerSettings

    async def send(self, delivery: Delivery) -> None:
        raise PermanentSendError(f"{self.name}: no paging terminal in this test")

    async def close(self) -> None:
        return None


PAGER = ChannelType(name="pager", settings=PagerSettings, build=lambda name, s, secrets: PagerNotifier(name, s),
                    address=Address(what="a pager capcode",
                                    check=lambda a: None if a.isdigit() and len(a) == 7 else "give its 7 digits"))

PAGER_CONFIG = """\
channels:
  beeper: {type: pager, settings: {url: "http://127.0.0.1:9800/page"}}
people:
  an:
    name: Nguyễn Văn An
    contacts: [{channel: beeper, address: "1234567"}]
"""


@pytest.fixture
def pager(monkeypatch: pytest.MonkeyPatch) -> ChannelType[PagerSettings]:
    monkeypatch.setitem(CHANNELS, "pager", PAGER)  # type: ignore[arg-type]
    return PAGER


def test_a_channel_registered_at_runtime_is_configurable_and_checked(tmp_path: Path, pager: object) -> None:
    file = tmp_path / "sitewatch.yaml"
    file.write_text(PAGER_CONFIG, encoding="utf-8")
    config = load_config(file)
    assert config.channels["beeper"].type == "pager"
    assert isinstance(build_notifiers(config)["beeper"], PagerNotifier)

    file.write_text(PAGER_CONFIG.replace('"1234567"', '"12345"').replace("}}", ", retries: 3}}"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert [(i.line, i.field, i.reason) for i in info.value.issues] == [
        (2, "channels.beeper.settings.retries", "unknown key 'retries'"),
        (6, "people.an.contacts[0].address",
         "a contact on channel 'beeper' (pager) has address '12345', which is not a pager capcode: "
         "give its 7 digits"),
    ]
    file.write_text(PAGER_CONFIG.replace(', address: "1234567"', ""), encoding="utf-8")
    missing = r"a contact on channel 'beeper' \(pager\) needs an address \(a pager capcode\)"
    with pytest.raises(ConfigError, match=missing):
        load_config(file)


def test_a_channel_registered_at_runtime_is_in_the_reference_and_needs_a_conformance_case(pager: object) -> None:
    from tests.notify.test_conformance import test_every_channel_type_has_a_case

    text = reference.render()
    assert "`alertmanager`, `pager` |" in text and "## `channels.<name>.settings (type pager)`" in text
    assert "| `url` | string | required | the paging terminal's HTTP endpoint |" in text
    with pytest.raises(AssertionError, match="channel type 'pager' has no conformance case"):
        test_every_channel_type_has_a_case("pager")


@pytest.mark.parametrize(("channel", "problem"), [
    (cfg("sms_gateway", {"url": "http://127.0.0.1/s", "methd": "GET", "params": {"to": "{to}", "t": "{text}"}}),
     "channels.sms.settings.methd: unknown key 'methd' (did you mean 'method'?)"),
    (cfg("sms_gateway", {"url": "http://127.0.0.1/s?k={secret:apikey}", "body": {"to": "{to}", "m": "{txt}"}},
         {"api_key": "k"}),
     "channels.sms.settings.body.m: unknown placeholder {txt}"),
    (cfg("sms_gateway", {"url": "http://127.0.0.1/s?k={secret:apikey}", "body": {"to": "{to}", "m": "{text}"}},
         {"api_key": "k"}),
     "channels.sms.settings.url: {secret:apikey} names a secret not given under secrets"),
    (cfg("sms_gateway", {"url": "http://127.0.0.1/s?k={secret:apikey}", "body": {"to": "{to}", "m": "{text}"}},
         {"apikey": "k", "api_key": "k"}),
     "channels.sms.secrets.api_key: secret 'api_key' is not used"),
    (cfg("sms_gateway", {"url": "http://127.0.0.1/s", "body": {"m": "{text}"}}),
     "channels.sms.settings: no template uses {to}"),
    (cfg("sms_gateway", {"url": "http://127.0.0.1/s", "method": "GET", "body": {"to": "{to}", "m": "{text}"}}),
     "channels.sms.settings: a GET request has no body: put the fields under params"),
    (cfg("sms_gateway", {"url": "http://127.0.0.1/s", "body": {"to": "{to}", "m": "{text}"},
                         "success": {"json_field": "status"}}),
     "channels.sms.settings.success: json_field and equals go together"),
    (cfg("telegram", {}), "channels.sms.secrets: missing secret 'bot_token'"),
    (cfg("telegram", {}, {"bot_token": "1:x", "bot_tokn": "1:y"}),
     "channels.sms.secrets.bot_tokn: unknown secret 'bot_tokn' (did you mean 'bot_token'?)"),
    (cfg("telegram", {"timeout": "forever"}, {"bot_token": "1:x"}),
     "channels.sms.settings.timeout: expected a duration"),
    (cfg("slack", {}), "channels.sms.settings.url: give the URL in settings.url, or in secrets.url"),
    (cfg("slack", {"url": "http://127.0.0.1/h"}, {"url": "http://127.0.0.1/h"}),
     "channels.sms.secrets.url: the URL is given twice"),
    (cfg("webhook", {"url": "http://127.0.0.1/h"}, {"hmac_secrett": "k"}),
     "channels.sms.secrets.hmac_secrett: secret 'hmac_secrett' is not used (use hmac_secret, url or"),
    (cfg("email", {"host": "127.0.0.1", "from": "noc"}), "channels.sms.settings: from: 'noc' is not an email address"),
    (cfg("email", {"host": "127.0.0.1", "from": "noc@x.vn", "username": "noc"}),
     "channels.sms.settings.username: SMTP AUTH needs both settings.username and secrets.password"),
    (cfg("email", {"host": "127.0.0.1"}), "channels.sms.settings.from: missing required field 'from'"),
    (cfg("alertmanager", {"url": "http://127.0.0.1:9093", "labels": {"bad-name": "x"}}),
     "channels.sms.settings.labels: 'bad-name' is not a valid label name"),
])
def test_a_problem_is_named_with_its_field(channel: ChannelConfig, problem: str) -> None:
    problems = validate_channel("sms", channel)
    assert any(p.startswith(problem) for p in problems), problems
    with pytest.raises(ConfigError) as info:
        build_notifier("sms", channel)
    assert problem.split(": ", 1)[1] in str(info.value)


def test_a_valid_channel_has_no_problem_and_builds() -> None:
    channel = cfg("telegram", {"api_url": "http://127.0.0.1:1", "parse_mode": "plain", "timeout": "3s"},
                  {"bot_token": "1:x"})
    assert validate_channel("tg", channel) == []
    notifier = build_notifier("tg", channel)
    assert isinstance(notifier, TelegramNotifier) and notifier.name == "tg" and notifier.timeout == 3.0


async def test_build_notifiers_builds_all_or_reports_every_problem() -> None:
    good = {"type": "webhook", "settings": {"url": "http://127.0.0.1:1/h"}}
    bad = {"type": "webhook", "settings": {"url": "http://127.0.0.1:1/h", "header": {}}}
    with pytest.raises(ConfigError) as info:
        build_notifiers(Config.model_validate({"channels": {"a": good, "b": bad, "c": {**bad, "type": "slack"}}}))
    assert [i.field for i in info.value.issues] == ["channels.b.settings.header", "channels.c.settings.header"]
    built = build_notifiers(Config.model_validate({"channels": {"a": good, "d": good}}))
    assert sorted(built) == ["a", "d"] and built["d"].name == "d"
    for n in built.values():
        await n.close()


def test_an_unresolved_secret_is_a_config_error_not_a_crash() -> None:
    channel = ChannelConfig(type="telegram", settings={}, secrets={"bot_token": SecretRef(env="TG_TOKEN")})
    with pytest.raises(ConfigError, match="env:TG_TOKEN was not resolved"):
        build_notifier("tg", channel)
