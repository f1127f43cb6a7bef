"""Push incidents to an Alertmanager a NOC already runs: ``POST {url}/api/v2/alerts``.

One alert per incident: ``message.data["incidents"]`` (``sitewatch.messages.data``) gives
each incident's ``labels`` and ``annotations`` already shaped for Alertmanager, ``opened_at``
and ``resolved_at``. Data without that list (a bare or hand-made message) becomes one alert
whose labels come from the keys in ``label_keys``. Static ``labels`` from the settings are
added to every alert; the acknowledge link goes to the ``ack_url`` annotation.

Alertmanager resolves an alert it has not heard about within its ``resolve_timeout``, the way
it expects Prometheus to resend; we send once, so a firing alert carries ``endsAt`` = now +
``firing_ttl``, and an incident with ``resolved_at`` (or any alert of a RESOLVED message)
ends then (or now).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, field_validator

from sitewatch.config.base import parse_duration
from sitewatch.notify.channel import ChannelSettings, ChannelType, Problem, Secrets
from sitewatch.notify.http import HttpNotifier, json_bytes
from sitewatch.notify.model import Delivery, Message, MessageKind
from sitewatch.notify.template import fill, template_problems, unused_secrets

__all__ = ["CHANNEL", "AlertmanagerNotifier", "AlertmanagerSettings", "alerts"]

#: data keys copied to labels when the data has no ready ``labels`` (``condition`` → ``alertname``)
LABEL_KEYS = ("site", "site_id", "site_name", "province", "district", "kind", "severity", "criticality", "team",
              "incident")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class AlertmanagerSettings(ChannelSettings):
    #: Alertmanager's base URL (``/api/v2/alerts`` is added)
    url: str
    #: labels added to every alert (e.g. {source: sitewatch, env: production})
    labels: dict[str, str] = {}
    #: data keys copied to labels
    label_keys: tuple[str, ...] = LABEL_KEYS
    username: str | None = None  #: HTTP basic auth, with secrets.password
    #: extra HTTP headers (``{secret:NAME}`` placeholders allowed)
    headers: dict[str, str] = {}
    #: a firing alert's ``endsAt`` is this far ahead (we send once; Alertmanager would otherwise resolve it)
    firing_ttl: Annotated[float, Field(gt=0)] = 86400.0

    @field_validator("firing_ttl", mode="before")
    @classmethod
    def _ttl(cls, v: Any) -> Any:
        return parse_duration(v)

    @field_validator("labels", "label_keys")
    @classmethod
    def _names(cls, v: Any) -> Any:
        for name in v:
            if not _LABEL_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        return v


def alerts(message: Message, settings: AlertmanagerSettings, now: datetime) -> list[dict[str, Any]]:
    """The ``postableAlerts`` body for one message."""
    items = message.data.get("incidents")
    per_incident = [i for i in items if isinstance(i, Mapping)] if isinstance(items, list | tuple) else []
    return [_alert(message, item, settings, now) for item in per_incident or [message.data]]


def _alert(message: Message, d: Mapping[str, Any], settings: AlertmanagerSettings, now: datetime) -> dict[str, Any]:
    ready = d.get("labels")
    if isinstance(ready, Mapping):
        labels = {str(k): _text(v) for k, v in ready.items() if _LABEL_NAME.match(str(k)) and v not in (None, "")}
    else:
        labels = {k: _text(d[k]) for k in settings.label_keys if d.get(k) not in (None, "")}
    labels.setdefault("alertname", _text(d.get("condition") or f"sitewatch_{message.kind.value}"))
    labels |= settings.labels
    given = d.get("annotations")
    annotations = {str(k): _text(v) for k, v in given.items()} if isinstance(given, Mapping) else {}
    annotations.setdefault("summary", message.subject)
    annotations.setdefault("description", message.text)
    if message.ack_url:
        annotations["ack_url"] = message.ack_url
    alert: dict[str, Any] = {"labels": labels, "annotations": annotations}
    started = _time(d.get("opened_at") or d.get("since"))
    if started is not None:
        alert["startsAt"] = _rfc3339(started)
    ended = _time(d.get("resolved_at"))
    if ended is None and message.kind is MessageKind.RESOLVED:
        ended = now
    alert["endsAt"] = _rfc3339(ended or now + timedelta(seconds=settings.firing_ttl))
    return alert


def _text(value: Any) -> str:
    return value.value if hasattr(value, "value") and isinstance(value.value, str) else str(value)


def _time(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class AlertmanagerNotifier(HttpNotifier):
    def __init__(self, name: str, settings: AlertmanagerSettings, secrets: Secrets) -> None:
        auth = (settings.username, secrets["password"]) if settings.username is not None else None
        super().__init__(name, timeout=settings.timeout, secrets=secrets.values(), auth=auth)
        self._s = settings
        self._url = settings.url.rstrip("/") + "/api/v2/alerts"
        self._headers = {k: fill(v, {}, secrets) for k, v in settings.headers.items()}

    async def send(self, delivery: Delivery) -> None:
        body = json_bytes(alerts(delivery.message, self._s, datetime.now(UTC)))
        headers = {**self._headers, "Content-Type": "application/json"}
        response = await self.request("POST", self._url, content=body, headers=headers)
        self.raise_for_status(response)


def _check(settings: AlertmanagerSettings, secret_names: frozenset[str]) -> list[Problem]:
    headers = [(("settings", "headers", k), v) for k, v in settings.headers.items()]
    problems = template_problems(headers, (), secret_names) + unused_secrets(headers, secret_names, ("password",))
    if (settings.username is None) == ("password" in secret_names):
        problems.append((("settings", "username"), "basic auth needs both settings.username and secrets.password"))
    return problems


CHANNEL = ChannelType(name="alertmanager", settings=AlertmanagerSettings, build=AlertmanagerNotifier, secrets=None,
                      check=_check)
