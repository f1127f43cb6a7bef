"""A running ``TrapReceiver`` on 127.0.0.1 for the trap tests, with the events it delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import pytest

from sitewatch.core.conditions import TrapEvent
from sitewatch.snmp.client import UsmAuth
from sitewatch.traps.receiver import TrapReceiver
from sitewatch.traps.sources import SourceEntry, TrapSources

#: the v3 user the tests' "BTS-V3" site is polled (and sends traps) with
V3_USER = UsmAuth(username="noc-trap", auth_protocol="sha", auth_key="auth-secret-1", priv_protocol="aes",
                  priv_key="priv-secret-1")
#: a fixed engine id the tests' v3 traps claim as the sender's
SENDER_ENGINE_ID = "0x80001f8880c0ffee0001"


def lab_sources() -> TrapSources:
    """BTS-1 at 127.0.0.1 (community c-bts1, v3 user noc-trap); nothing at 127.0.0.2."""
    return TrapSources([SourceEntry(address="127.0.0.1", site_id="BTS-1", communities=frozenset({b"c-bts1"}),
                                    users=(V3_USER,))])


@dataclass
class Running:
    receiver: TrapReceiver
    events: list[TrapEvent] = field(default_factory=list)

    @property
    def port(self) -> str:
        """The receiver as net-snmp's tools name it."""
        assert self.receiver.address is not None
        host, port = self.receiver.address
        return f"udp6:[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def nonzero(self) -> dict[str, int]:
        return {k: v for k, v in self.receiver.counts.items() if v}

    async def until(self, check: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``check()`` holds (the receiver runs on this loop)."""
        deadline = asyncio.get_running_loop().time() + within
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; counts {self.nonzero()}, events {len(self.events)}")
            await asyncio.sleep(0.01)


class FixedClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
async def make_receiver() -> AsyncIterator[Callable[..., object]]:
    started: list[Running] = []

    async def make(sources: TrapSources | None = None, **kw: object) -> Running:
        holder: list[TrapEvent] = []
        r = TrapReceiver(sources=sources or lab_sources(), on_event=kw.pop("on_event", holder.append),
                         listen=str(kw.pop("listen", "127.0.0.1:0")),
                         clock=kw.pop("clock", FixedClock(1_800_000_000.0)), **kw)
        await r.start()
        running = Running(r, holder)
        started.append(running)
        return running

    yield make
    for r in started:
        await r.receiver.stop()


@pytest.fixture
async def rx(make_receiver: Callable[..., object]) -> Running:
    return await make_receiver()  # type: ignore[no-any-return, misc]


def names(events: Iterable[TrapEvent]) -> list[str]:
    return [e.name for e in events]
