"""Alertmanager push: a real Alertmanager (the Debian package) accepts what we send, shows it
firing, and resolves it; the request shape and basic auth seen at a capture server."""

from __future__ import annotations

import base64
import dataclasses
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sitewatch.notify.model import MessageKind
from tests.notify.cases import ACK_URL, SITE, open_notifier, page
from tests.notify.receivers import CaptureServer, closed_port

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BINARY is None:
        pytest.skip("Alertmanager is not installed (apt-get install prometheus-alertmanager)")
    tmp = Path(tmp_path_factory.mktemp("alertmanager"))
    (tmp / "am.yml").write_text("route: {receiver: noc}\nreceivers: [{name: noc}]\n")
    url = f"http://127.0.0.1:{closed_port()}"
    with (tmp / "log").open("wb") as log:
        proc = subprocess.Popen(
            [BINARY, f"--config.file={tmp / 'am.yml'}", f"--storage.path={tmp / 'data'}",
             f"--web.listen-address={url.removeprefix('http://')}", "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Alertmanager did not start: {(tmp / 'log').read_text()[-2000:]}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def incident(number: int, site: str, name: str, resolved_at: str | None = None) -> dict[str, Any]:
    """One entry of ``message.data["incidents"]`` as ``sitewatch.messages.data`` shapes it."""
    return {
        "id": number, "site_id": site, "site_name": name, "condition": "on_battery", "severity": "critical",
        "opened_at": "2025-03-01T02:14:00+07:00", "resolved_at": resolved_at, "battery_runtime_seconds": 8100,
        "labels": {"alertname": "OnBattery", "incident": str(number), "site": site, "site_kind": "bts",
                   "province": "Gia Lai", "district": "Pleiku", "condition": "on_battery", "severity": "critical",
                   "criticality": "high", "source": "sitewatch"},
        "annotations": {"summary": f"On battery at {name} ({site})", "description": "Mains lost; on battery"},
    }


def grouped(kind: MessageKind, *incidents: dict[str, Any]) -> Any:
    d = page()
    data = {"kind": kind.value, "incidents": list(incidents), "incident_ids": [i["id"] for i in incidents]}
    return dataclasses.replace(d, message=dataclasses.replace(d.message, kind=kind, data=data))


async def active(url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        alerts: list[dict[str, Any]] = (await client.get(f"{url}/api/v2/alerts")).json()
    return sorted(alerts, key=lambda a: a["labels"]["site"])


async def test_alertmanager_shows_incidents_firing_then_each_resolved(alertmanager: str) -> None:
    first, second = incident(17, "GL-BTS-0042", SITE), incident(18, "GL-BTS-0043", "Trạm BTS Pleiku 4")
    settings = {"url": alertmanager, "labels": {"env": "lab"}, "firing_ttl": "2h"}
    async with open_notifier("alertmanager", settings) as n:
        await n.send(grouped(MessageKind.PAGE, first, second))
        firing = await active(alertmanager)
        assert [a["labels"]["site"] for a in firing] == ["GL-BTS-0042", "GL-BTS-0043"]
        a = firing[0]
        assert a["labels"] == {**first["labels"], "env": "lab"}
        assert a["annotations"] == {**first["annotations"], "ack_url": ACK_URL}
        assert a["status"]["state"] == "active"
        assert datetime.fromisoformat(a["startsAt"]) == datetime.fromisoformat("2025-03-01T02:14:00+07:00")
        ends = datetime.fromisoformat(a["endsAt"])
        assert timedelta(minutes=119) < ends - datetime.now(UTC) <= timedelta(hours=2)

        # an update to the group: the first site's mains came back, the second is still out
        back = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
        await n.send(grouped(MessageKind.UPDATE, incident(17, "GL-BTS-0042", SITE, resolved_at=back), second))
        assert [a["labels"]["site"] for a in await active(alertmanager)] == ["GL-BTS-0043"]

        await n.send(grouped(MessageKind.RESOLVED, second))  # no resolved_at: resolved now
        assert await active(alertmanager) == []


async def test_request_shape_and_basic_auth(capture: CaptureServer) -> None:
    settings = {"url": f"{capture.url}/am/", "username": "sitewatch", "label_keys": ["site", "district"]}
    async with open_notifier("alertmanager", settings, {"password": "am-Basic-passw0rd"}) as n:
        await n.send(page())
        d = page()
        resolved = dataclasses.replace(d, message=dataclasses.replace(d.message, kind=MessageKind.RESOLVED,
                                                                      ack_url=None))
        await n.send(resolved)
    first, second = capture.requests
    assert first.path == "/am/api/v2/alerts"
    assert first.headers["authorization"] == "Basic " + base64.b64encode(b"sitewatch:am-Basic-passw0rd").decode()
    [alert] = first.json()
    assert alert["labels"] == {"alertname": "on_battery", "site": "GL-BTS-0042", "district": "Pleiku"}
    assert set(alert) == {"labels", "annotations", "startsAt", "endsAt"}
    [done] = second.json()
    assert "ack_url" not in done["annotations"]
    ended = datetime.fromisoformat(done["endsAt"].replace("Z", "+00:00"))
    assert abs(ended - datetime.now(UTC)) < timedelta(seconds=10)  # no resolved_at: resolved now
