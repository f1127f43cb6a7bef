"""The channel registry: the one list of channel types, and building the configured notifiers.

``CHANNELS`` is the single source: the configuration's ``channels.<name>.type`` values
(``config.oncall_schema``), which contacts need an address and what a valid one is
(``oncall.checks``), the configuration reference's per-type settings sections, and the
channel conformance suite (``tests/notify/test_conformance.py``, which fails for an entry
without a case) all come from it. Adding a channel therefore touches:

1. ``sitewatch/notify/<type>.py``: the notifier and ``CHANNEL = ChannelType(name=..., ...)``;
2. one line in ``CHANNELS`` below;
3. ``tests/notify/cases.py``: its conformance case (and unit tests of its own format);
4. optionally ``messages/vocabulary.py`` ``channels``/``channel_services``: how messages name
   it in each language (without them they use the type name); and ``make docs`` regenerates
   the configuration reference.

Settings and secret names are checked here, with the same wording as the rest of the
configuration (``channel_issues`` for the loader, with file and line; ``validate_channel`` as
plain text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from sitewatch.config.locations import ConfigPath, Where, did_you_mean, render_path
from sitewatch.config.validation import validation_issues
from sitewatch.core.errors import ConfigError, ConfigIssue
from sitewatch.notify import alertmanager, email, slack, sms_gateway, telegram, webhook
from sitewatch.notify.channel import ChannelType
from sitewatch.notify.model import Notifier

if TYPE_CHECKING:  # the configuration takes its channel types from here: only types the other way
    from sitewatch.config.oncall_schema import ChannelConfig
    from sitewatch.config.schema import Config

__all__ = ["CHANNELS", "build_notifier", "build_notifiers", "channel_issues", "validate_channel"]

#: channel type name → its entry, in the order the configuration reference lists them
CHANNELS: Mapping[str, ChannelType[Any]] = {c.name: c for c in (
    sms_gateway.CHANNEL,
    email.CHANNEL,
    telegram.CHANNEL,
    webhook.CHANNEL,
    slack.CHANNEL,
    alertmanager.CHANNEL,
)}


def channel_issues(name: str, cfg: ChannelConfig, locate: Callable[[ConfigPath], Where]) -> list[ConfigIssue]:
    """Every problem with one channel's settings and secret names; ``locate`` maps a path
    from the top of the configuration (``("channels", name, "settings", "url")``) to a place."""
    return _check(name, cfg, locate)[1]


def validate_channel(name: str, cfg: ChannelConfig) -> list[str]:
    """``channel_issues`` as ``channels.NAME.settings.FIELD: reason`` lines, for check-config."""
    return [f"{issue.field}: {issue.reason}" for issue in channel_issues(name, cfg, _unplaced)]


def build_notifier(name: str, cfg: ChannelConfig) -> Notifier:
    """The notifier for one configured channel (secrets must be resolved: ``load_config``).
    Raises ``ConfigError`` listing every problem."""
    settings, issues = _check(name, cfg, _unplaced)
    if issues or settings is None:
        raise ConfigError(issues)
    try:
        secrets = {key: ref.reveal() for key, ref in cfg.secrets.items()}
    except LookupError as e:
        raise ConfigError([ConfigIssue("configuration", None, f"channels.{name}.secrets", str(e))]) from None
    return CHANNELS[cfg.type].build(name, settings, secrets)


def build_notifiers(config: Config) -> dict[str, Notifier]:
    """Every configured channel, by name. Nothing is built unless all are valid."""
    issues = [i for name, cfg in config.channels.items() for i in channel_issues(name, cfg, _unplaced)]
    if issues:
        raise ConfigError(issues)
    return {name: build_notifier(name, cfg) for name, cfg in config.channels.items()}


def _check(
    name: str, cfg: ChannelConfig, locate: Callable[[ConfigPath], Where]
) -> tuple[BaseModel | None, list[ConfigIssue]]:
    kind = CHANNELS[cfg.type]

    def at(*rel: str | int) -> Where:
        return locate(("channels", name, *rel))

    issues: list[ConfigIssue] = []
    settings: BaseModel | None = None
    try:
        settings = kind.settings.model_validate(cfg.settings)
    except ValidationError as e:
        issues += validation_issues(e, cfg.settings, lambda p: at("settings", *p), model=kind.settings)
    given = frozenset(cfg.secrets)
    for missing in sorted(kind.required_secrets - given):
        issues.append(at("secrets").issue(f"missing secret {missing!r}"))
    if kind.secrets is not None:
        allowed = kind.secrets | kind.required_secrets
        for unknown in sorted(given - allowed):
            known = ", ".join(sorted(allowed)) or "none"
            issues.append(at("secrets", unknown).issue(
                f"unknown secret {unknown!r}{did_you_mean(unknown, allowed)} (a {cfg.type} channel takes: {known})"))
    if settings is not None and kind.check is not None:
        issues += [at(*rel).issue(reason) for rel, reason in kind.check(settings, given)]
    return settings, issues


def _unplaced(path: ConfigPath) -> Where:
    return Where(file="configuration", line=None, field=render_path(path))
