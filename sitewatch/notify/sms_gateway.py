"""SMS through any provider's HTTP API: the operator writes the request, we fill in the blanks.

    sms:
      type: sms_gateway
      settings:
        url: https://gateway.example/api/send          # placeholders allowed here too
        method: POST                                    # or GET (query parameters only)
        headers: {Authorization: "Bearer {secret:api_key}"}
        params: {}                                      # query parameters
        body: {to: "{to}", message: "{text}", ref: "{key}"}   # JSON or form
        encoding: json                                  # or form
        success: {json_field: status, equals: [success], retry_equals: [throttled]}
      secrets: {api_key: {env: SMS_API_KEY}}

Placeholders: ``{to}`` (the contact's number; ``phone_format: digits`` drops the ``+`` and
spaces), ``{text}`` (``message.short``), ``{key}`` (the idempotency key, for providers that
dedupe on a client reference), ``{secret:NAME}``. A value filled into the URL is
percent-encoded (a ``&`` or ``=`` in a site name stays inside its parameter), one filled into a
header stays on one line; ``params`` are added to any query the URL already has. Many gateways
answer 200 with the failure in the body, so success is the HTTP status *and*, optionally, a JSON
field's value or a regex over the body; a refusal in the body is permanent unless its value is
in ``retry_equals``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import model_validator

from sitewatch.config.base import Strict
from sitewatch.config.locations import ConfigPath
from sitewatch.core.errors import PermanentSendError, RetryableSendError
from sitewatch.notify.channel import Address, ChannelSettings, ChannelType, Problem, Secrets
from sitewatch.notify.http import HttpNotifier, excerpt
from sitewatch.notify.model import Delivery
from sitewatch.notify.template import (
    fill,
    fill_all,
    header_value,
    strings_in,
    template_problems,
    unused_secrets,
    url_value,
)

__all__ = ["CHANNEL", "SmsGatewayNotifier", "SmsGatewaySettings", "SuccessRule"]

FIELDS = ("key", "text", "to")
Scalar = str | int | float | bool


class SuccessRule(Strict):
    """When an answer means the SMS was accepted (beyond the HTTP status)."""

    #: accepted HTTP statuses; empty = any 2xx
    status: tuple[int, ...] = ()
    #: dotted path to a field of the JSON answer: "status", "data.code", "messages.0.status"
    json_field: str | None = None
    #: the field's value means success (compared as text: 100 == "100")
    equals: tuple[Scalar, ...] = ()
    #: the field's value means "try again later" (throttled, temporarily unavailable)
    retry_equals: tuple[Scalar, ...] = ()
    #: the answer's body must match this regular expression (re.search)
    regex: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SuccessRule:
        if (self.json_field is None) != (not self.equals):
            raise ValueError("json_field and equals go together")
        if self.retry_equals and self.json_field is None:
            raise ValueError("retry_equals needs json_field")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as e:
                raise ValueError(f"regex does not compile: {e}") from None
        return self


class SmsGatewaySettings(ChannelSettings):
    #: the gateway's URL (placeholders allowed)
    url: str
    #: ``POST``, or ``GET`` with everything in ``params``
    method: Literal["GET", "POST"] = "POST"
    #: HTTP headers (placeholders allowed)
    headers: dict[str, str] = {}
    #: query parameters (placeholders allowed)
    params: dict[str, str] = {}
    #: the request body (placeholders allowed); POST only
    body: dict[str, Any] | None = None
    #: the body as ``json`` or ``form``
    encoding: Literal["json", "form"] = "json"
    #: ``{to}`` as ``e164`` (+84...) or ``digits`` (84...)
    phone_format: Literal["e164", "digits"] = "e164"
    #: when an answer means the SMS was accepted
    success: SuccessRule = SuccessRule()

    @model_validator(mode="after")
    def _shape(self) -> SmsGatewaySettings:
        if self.method == "GET" and self.body is not None:
            raise ValueError("a GET request has no body: put the fields under params")
        if self.body is not None and self.encoding == "form":
            nested = [k for k, v in self.body.items() if not isinstance(v, str | int | float)]
            if nested:
                raise ValueError(f"form encoding takes flat values; {nested[0]!r} is nested")
        return self

    def templates(self) -> list[tuple[ConfigPath, str]]:
        found: list[tuple[ConfigPath, str]] = [(("settings", "url"), self.url)]
        found += [(("settings", "headers", k), v) for k, v in self.headers.items()]
        found += [(("settings", "params", k), v) for k, v in self.params.items()]
        return found + list(strings_in(self.body, ("settings", "body")))


def request_url(settings: SmsGatewaySettings, values: Mapping[str, str], secrets: Secrets) -> str:
    """The URL with its placeholders filled (percent-encoded) and ``params`` added to the query
    it already has (httpx would replace that query, even with no params at all)."""
    url = httpx.URL(fill(settings.url, values, secrets, url_value))
    if settings.params:
        url = url.copy_merge_params({k: fill(v, values, secrets) for k, v in settings.params.items()})
    return str(url)


class SmsGatewayNotifier(HttpNotifier):
    def __init__(self, name: str, settings: SmsGatewaySettings, secrets: Secrets) -> None:
        super().__init__(name, timeout=settings.timeout, secrets=secrets.values())
        self._s = settings
        self._secrets = secrets

    async def send(self, delivery: Delivery) -> None:
        s, secrets = self._s, self._secrets
        to = delivery.contact.address
        values = {"to": re.sub(r"\D", "", to) if s.phone_format == "digits" else to,
                  "text": delivery.message.short, "key": delivery.key}
        kwargs: dict[str, Any] = {"headers": {k: fill(v, values, secrets, header_value) for k, v in s.headers.items()}}
        if s.body is not None:
            body = fill_all(s.body, values, secrets)
            kwargs["json" if s.encoding == "json" else "data"] = body
        try:
            url = request_url(s, values, secrets)
        except httpx.InvalidURL:
            raise self.fail(PermanentSendError, s.url, "invalid URL") from None
        response = await self.request(s.method, url, **kwargs)
        rule = s.success
        if rule.status and response.status_code not in rule.status and response.is_success:
            raise self.fail(PermanentSendError, url, f"HTTP {response.status_code} is not an accepted status "
                            f"{list(rule.status)}: {excerpt(response.text)}")
        self.raise_for_status(response)
        self._check_body(url, response.text)

    def _check_body(self, url: str, text: str) -> None:
        rule = self._s.success
        if rule.regex is not None and re.search(rule.regex, text) is None:
            raise self.fail(PermanentSendError, url, f"gateway answer does not match success regex: {excerpt(text)}")
        if rule.json_field is None:
            return
        try:
            value = _field(json.loads(text), rule.json_field)
        except (ValueError, LookupError, TypeError):
            raise self.fail(PermanentSendError, url,
                            f"gateway answer has no JSON field {rule.json_field!r}: {excerpt(text)}") from None
        if _text(value) in {_text(v) for v in rule.equals}:
            return
        cls = RetryableSendError if _text(value) in {_text(v) for v in rule.retry_equals} else PermanentSendError
        raise self.fail(cls, url, f"gateway refused the message ({rule.json_field}={value!r}): {excerpt(text)}")


def _field(doc: Any, path: str) -> Any:
    for step in path.split("."):
        doc = doc[int(step)] if isinstance(doc, list) else doc[step]
    return doc


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _check(settings: SmsGatewaySettings, secret_names: frozenset[str]) -> list[Problem]:
    templates = settings.templates()
    problems = template_problems(templates, FIELDS, secret_names) + unused_secrets(templates, secret_names)
    if not any("{to}" in t for _, t in templates):
        problems.append((("settings",), "no template uses {to}: the gateway would not know the number"))
    if not any("{text}" in t for _, t in templates):
        problems.append((("settings",), "no template uses {text}: the gateway would not get the message"))
    return problems


def phone_problem(address: str) -> str | None:
    """A phone number: digits, optionally after ``+``, spaces, dots, dashes and brackets allowed."""
    digits = re.sub(r"[\s.()-]", "", address)
    if not re.fullmatch(r"\+?[0-9]{3,15}", digits):
        return "give digits, optionally after + (+84905000002)"
    return None


CHANNEL = ChannelType(name="sms_gateway", settings=SmsGatewaySettings, build=SmsGatewayNotifier, secrets=None,
                      check=_check, address=Address(what="a phone number", check=phone_problem))
