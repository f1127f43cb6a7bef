"""The demo's lab inbox prints the pages sitewatch sends, and nothing else."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the inbox exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[tuple[dict[str, int], Path]]:
    ports = {"sms": _free_tcp_port(), "telegram": _free_tcp_port(), "smtp": _free_tcp_port()}
    log = tmp_path / "inbox.log"
    proc = subprocess.Popen([sys.executable, "-m", "sitewatch.simulator.lab_inbox", "--sms", str(ports["sms"]),
                             "--telegram", str(ports["telegram"]), "--smtp", str(ports["smtp"]), "--log", str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in ports.values():
            _wait_listening(port, proc)
        yield ports, log
    finally:
        proc.terminate()
        proc.wait(10)


def _wait_for(log: Path, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text() if log.exists() else ""
        if text in content:
            return content
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in the inbox:\n{content}")


def test_only_gateway_calls_print_as_sms(inbox: tuple[dict[str, int], Path]) -> None:
    ports, log = inbox
    base = f"http://127.0.0.1:{ports['sms']}"
    with httpx.Client() as client:
        assert client.get(f"{base}/metrics").status_code == 404
        assert client.post(f"{base}/sms", json={"text": "no number"}).status_code == 400
        ok = client.post(f"{base}/sms", json={"to": "+84905000001", "text": "GL-BTS-0015 MAT DIEN LUOI"})
        assert ok.status_code == 200
        assert client.get(f"{base}/sms", params={"to": "+84905000002", "text": "query style"}).status_code == 200
    content = _wait_for(log, "query style")
    # the refused requests printed nothing: only the two real messages are in the inbox
    assert content.count("── ") == 2, content
    assert "SMS to +84905000001 ──\nGL-BTS-0015 MAT DIEN LUOI" in content
    assert "SMS to +84905000002 ──\nquery style" in content
    assert "?" not in content.replace("query style", "")


def test_telegram_and_email_are_printed(inbox: tuple[dict[str, int], Path]) -> None:
    ports, log = inbox
    r = httpx.post(f"http://127.0.0.1:{ports['telegram']}/botTOKEN/sendMessage",
                   json={"chat_id": "12345", "text": "Mất điện lưới",
                         "reply_markup": {"inline_keyboard": [[{"text": "ack", "url": "http://x/ack/abc"}]]}})
    assert r.json()["ok"] is True
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "sitewatch@example.org", "noc@example.org", "[SỰ CỐ] GL-BTS-0015"
    msg.set_content("Trạm GL-BTS-0015 mất điện lưới")
    with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=10) as smtp:
        smtp.send_message(msg)
    content = _wait_for(log, "Trạm GL-BTS-0015 mất điện lưới")
    assert "Telegram to 12345 ──\nMất điện lưới\n[button] http://x/ack/abc" in content
    assert "email to noc@example.org ──\nSubject: [SỰ CỐ] GL-BTS-0015" in content
