"""The engine's outbox worker in a process of its own, for the ``kill -9`` test.

    python -m tests.escalation.outbox_child DB URL fill     queue 100 notifications, then send them
    python -m tests.escalation.outbox_child DB URL resume   send what is pending, exit when none is

Notifications go through the real webhook channel to ``URL/hook`` (rate limited to 200/s so a
kill lands mid-way). Prints ``queued`` once the 100 are committed, ``done`` when the outbox is empty.
"""

from __future__ import annotations

import asyncio
import sys

from sitewatch.config.schema import Config
from sitewatch.core.clock import SystemClock
from sitewatch.escalation.engine import EscalationEngine
from sitewatch.notify.model import Contact, Message, MessageKind
from sitewatch.notify.registry import build_notifiers
from sitewatch.store.database import SqliteDatabase
from sitewatch.store.incidents import IncidentStore
from sitewatch.store.outbox import OutboxItem

COUNT = 100


async def main(db: str, url: str, mode: str) -> int:
    config = Config.model_validate({"channels": {"hook": {"type": "webhook", "rate_limit": 200,
                                                          "settings": {"url": f"{url}/hook"}}}})
    store = IncidentStore(SqliteDatabase(db))
    notifiers = build_notifiers(config)
    engine = EscalationEngine(store=store, config=config, clock=SystemClock(), notifiers=notifiers)
    if mode == "fill":
        now = engine.clock.time()
        engine.outbox.enqueue(OutboxItem(key=f"crash/{n:03d}", contact=Contact(channel="hook", address=""),
                                         message=Message(kind=MessageKind.TEST, language="en", subject=f"n{n}",
                                                         short=f"n{n}", text=f"n{n}"), due_at=now)
                              for n in range(COUNT))
        print("queued", flush=True)
    worker = asyncio.create_task(engine.run())
    while engine.outbox.depth():  # noqa: ASYNC110 (the depth is in the database, not an event)
        await asyncio.sleep(0.02)
    await engine.stop()
    await worker
    store.db.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
