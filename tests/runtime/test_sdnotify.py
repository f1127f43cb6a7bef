"""sd_notify against a real datagram socket, as systemd would receive it."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

from sitewatch.runtime.sdnotify import ServiceNotifier, keep_watchdog


def listener(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    s.settimeout(5)
    return s


def test_notifications_arrive_as_one_datagram_of_lines(tmp_path: Path) -> None:
    with listener(tmp_path / "notify") as s:
        n = ServiceNotifier.from_environment({"NOTIFY_SOCKET": str(tmp_path / "notify")})
        assert n.notify("READY=1", "STATUS=polling 3 sites")
        assert s.recv(4096) == b"READY=1\nSTATUS=polling 3 sites"


def test_an_abstract_socket_address() -> None:
    name = f"sitewatch-sdnotify-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind("\0" + name)
        s.settimeout(5)
        assert ServiceNotifier.from_environment({"NOTIFY_SOCKET": "@" + name}).notify("STOPPING=1")
        assert s.recv(4096) == b"STOPPING=1"


def test_outside_systemd_nothing_is_sent_and_a_dead_socket_is_not_an_error(tmp_path: Path) -> None:
    assert not ServiceNotifier.from_environment({}).notify("READY=1")
    assert not ServiceNotifier.from_environment({"NOTIFY_SOCKET": str(tmp_path / "gone")}).notify("READY=1")


def test_the_watchdog_is_ours_only_when_systemd_says_so() -> None:
    env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "90000000"}
    assert ServiceNotifier.from_environment(env).watchdog_interval == 90.0
    assert ServiceNotifier.from_environment({**env, "WATCHDOG_PID": str(os.getpid())}).watchdog_interval == 90.0
    assert ServiceNotifier.from_environment({**env, "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert ServiceNotifier.from_environment({**env, "WATCHDOG_USEC": "0"}).watchdog_interval is None


async def test_watchdog_pings_only_while_alive(tmp_path: Path) -> None:
    with listener(tmp_path / "notify") as s:
        s.setblocking(False)
        answers = [True, True, False, False, False]
        asked = 0
        dead_long_enough = asyncio.Event()

        def alive() -> bool:
            nonlocal asked
            asked += 1
            if asked >= 6:  # asked while dead three times and more
                dead_long_enough.set()
            return answers[min(asked, len(answers)) - 1]

        task = asyncio.create_task(keep_watchdog(ServiceNotifier(str(tmp_path / "notify"), 0.05), alive))
        await asyncio.wait_for(dead_long_enough.wait(), 5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pings = []
        while True:
            try:
                pings.append(s.recv(64))
            except BlockingIOError:
                break
        assert pings == [b"WATCHDOG=1", b"WATCHDOG=1"]


async def test_no_watchdog_no_pings() -> None:
    await asyncio.wait_for(keep_watchdog(ServiceNotifier("/run/nowhere", None), lambda: True), 1)
