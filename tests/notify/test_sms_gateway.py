"""SMS gateway: two providers' styles of API, and refusals hidden in a 200 answer."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest

from sitewatch.core.errors import PermanentSendError, RetryableSendError
from tests.notify.cases import ACK_URL, VIETNAMESE, open_notifier, page
from tests.notify.receivers import CaptureServer

KEY = "sms+Api/K3y never&shown"

#: a JSON API that answers 200 with a result code (in the manner of Vietnamese gateways)
JSON_STYLE: dict[str, Any] = {
    "url": "{base}/MainService.svc/json/SendMultipleMessage_V4_post_json/",
    "headers": {"X-Client": "sitewatch"},
    "body": {"ApiKey": "{secret:api_key}", "Phone": "{to}", "Content": "{text}", "SmsType": "2", "RequestId": "{key}",
             "Options": {"Unicode": 1}},
    "phone_format": "digits",
    "success": {"json_field": "CodeResult", "equals": [100], "retry_equals": ["104"]},
}

#: a GET with everything in the query string and a plain-text answer
GET_STYLE: dict[str, Any] = {
    "url": "{base}/cgi-bin/sendsms",
    "method": "GET",
    "params": {"username": "vnpt-gl", "password": "{secret:api_key}", "to": "{to}", "text": "{text}",
               "charset": "UTF-8"},
    "success": {"regex": "^0: Accepted"},
}


def settings(style: dict[str, Any], capture: CaptureServer) -> dict[str, Any]:
    return {**style, "url": str(style["url"]).format(base=capture.url)}


async def test_json_post_provider(capture: CaptureServer) -> None:
    capture.reply(json={"CodeResult": "100", "SMSID": "a1b2"})
    async with open_notifier("sms_gateway", settings(JSON_STYLE, capture), {"api_key": KEY}) as n:
        await n.send(page("+84 905 123 456", key="inc-17/L1/an/sms/page"))
    [r] = capture.requests
    assert r.method == "POST" and r.path.endswith("/SendMultipleMessage_V4_post_json/")
    assert r.headers["content-type"] == "application/json" and r.headers["x-client"] == "sitewatch"
    body = r.json()
    assert body["ApiKey"] == KEY and body["Phone"] == "84905123456" and body["RequestId"] == "inc-17/L1/an/sms/page"
    assert VIETNAMESE in body["Content"] and ACK_URL in body["Content"]
    assert body["SmsType"] == "2" and body["Options"] == {"Unicode": 1}


async def test_get_provider_with_query_parameters(capture: CaptureServer) -> None:
    capture.reply(body="0: Accepted for delivery")
    async with open_notifier("sms_gateway", settings(GET_STYLE, capture), {"api_key": KEY}) as n:
        await n.send(page("+84905123456"))
    [r] = capture.requests
    assert r.method == "GET" and r.path == "/cgi-bin/sendsms" and r.body == b""
    p = r.params
    assert p["password"] == KEY and p["to"] == "+84905123456" and p["username"] == "vnpt-gl"
    assert VIETNAMESE in p["text"] and ACK_URL in p["text"]


async def test_placeholders_in_the_url_reach_the_gateway_whole(capture: CaptureServer) -> None:
    # a site name or a comment with &, =, # or + must not cut the text or add a parameter
    style = {"url": f"{capture.url}/sms?user=vnpt-gl&to={{to}}&text={{text}}", "method": "GET",
             "params": {"key": "{secret:api_key}"}}
    delivery = page("+84905123456")
    short = f"Tram A&B=1 #2 +3/4? {delivery.message.short}"
    async with open_notifier("sms_gateway", style, {"api_key": KEY}) as n:
        await n.send(dataclasses.replace(delivery, message=dataclasses.replace(delivery.message, short=short)))
    [r] = capture.requests
    assert r.path == "/sms"
    assert r.query == (("user", "vnpt-gl"), ("to", "+84905123456"), ("text", short), ("key", KEY))


async def test_form_post_with_basic_auth_header(capture: CaptureServer) -> None:
    basic = base64.b64encode(b"AC123:" + KEY.encode()).decode()
    style = {"url": f"{capture.url}/2010-04-01/Accounts/AC123/Messages.json", "encoding": "form",
             "headers": {"Authorization": "Basic {secret:basic}"},
             "body": {"To": "{to}", "From": "+84900000000", "Body": "{text}"}, "success": {"status": [201]}}
    capture.reply(201, json={"sid": "SM1", "status": "queued"})
    async with open_notifier("sms_gateway", style, {"basic": basic}) as n:
        await n.send(page("+84905123456"))
        capture.reply(200, json={"sid": "SM2"})
        with pytest.raises(PermanentSendError, match="HTTP 200 is not an accepted status"):
            await n.send(page("+84905123456"))
    r = capture.requests[0]
    assert r.headers["authorization"] == f"Basic {basic}"
    assert r.form()["To"] == "+84905123456" and VIETNAMESE in r.form()["Body"]


@pytest.mark.parametrize(("answer", "error", "reason"), [
    ({"CodeResult": "99", "ErrorMessage": "Phone not valid"}, PermanentSendError, "CodeResult='99'"),
    ({"CodeResult": "104", "ErrorMessage": "Brandname busy"}, RetryableSendError, "CodeResult='104'"),
    ({"error": "unknown"}, PermanentSendError, "no JSON field 'CodeResult'"),
    ("<html>maintenance</html>", PermanentSendError, "no JSON field 'CodeResult'"),
])
async def test_a_refusal_inside_a_200_answer(capture: CaptureServer, answer: object, error: type[Exception],
                                             reason: str) -> None:
    if isinstance(answer, str):
        capture.reply(body=answer)
    else:
        capture.reply(json=answer)
    async with open_notifier("sms_gateway", settings(JSON_STYLE, capture), {"api_key": KEY}) as n:
        with pytest.raises(error) as info:
            await n.send(page("+84905123456"))
    assert reason in str(info.value) and KEY not in str(info.value)


async def test_regex_refusal_is_permanent_and_names_the_answer(capture: CaptureServer) -> None:
    capture.reply(body=f"3: Invalid destination (user vnpt-gl, password {KEY})")  # a gateway that echoes
    async with open_notifier("sms_gateway", settings(GET_STYLE, capture), {"api_key": KEY}) as n:
        with pytest.raises(PermanentSendError) as info:
            await n.send(page("+84905123456"))
    text = str(info.value)
    assert "does not match success regex" in text and "3: Invalid destination" in text
    assert KEY not in text and "***" in text
