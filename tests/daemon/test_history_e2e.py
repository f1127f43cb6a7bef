"""Issue 18 items 4 and 5 through the whole daemon: a BTS loses mains at night, the SMS gateway
fails once (a retry), the on-call's mailbox refuses the page (a dead letter), the next level is
paged, the on-call acknowledges with the link. "Were you paged?" is then answered by
``sitewatch incidents show ID`` and the API; ``sitewatch incidents list`` says when it is cut."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from sitewatch.cli import main
from sitewatch.commands.incidents import format_footer
from tests.daemon.conftest import READ_TOKEN, Running
from tests.daemon.test_paging_e2e import LINK, _bts, _sms_to, _until, paging_setup

AN, BINH = "+84905110101", "+84905110202"


async def _cli(d: Running, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    # the CLI is synchronous; the daemon serves from this loop, so the CLI runs in a thread
    rc = await asyncio.to_thread(main, ["incidents", "--url", d.base, *args])
    out, err = capsys.readouterr()
    assert rc == 0, err
    return out


async def test_were_you_paged_answered_from_the_cli_and_the_api(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEWATCH_TOKEN", READ_TOKEN)  # a read-only token: the wallboard's, a responder's
    async with paging_setup(tmp_path, [_bts(1), _bts(2)]) as (fleet, d, sms, smtp):
        await d.wait_for(lambda m: len(m.get("sitewatch_mains_ok", [])) == 2)
        sms.fail_with(500, count=1, path="/sms")  # the gateway's first answer: a retry
        smtp.fail_with(550, count=1, text="mailbox full")  # An's page by email: refused for good
        fleet.set_mains("BTS01", False)
        await _until(lambda: _sms_to(sms, AN) and _sms_to(sms, BINH), within=30)  # level 1, then level 2
        link = LINK.search(_sms_to(sms, AN)[0])
        assert link is not None
        async with httpx.AsyncClient(timeout=5) as http:
            token = link.group(0).rsplit("/", 1)[1]
            assert (await http.post(link.group(0), data={"token": token})).status_code == 200

        found = (await d.http.get("/api/v1/incidents", params={"site": "BTS01"})).json()["incidents"]
        incident = next(i for i in found if i["condition"] == "mains_lost")
        r = await d.http.get(f"/api/v1/incidents/{incident['id']}")
        body: dict[str, Any] = r.json()
        assert AN not in r.text and "an@vienthong-gialai.example" not in r.text
        pages = [(n["kind"], n["level"], n["person"], n["channel"], n["status"]) for n in body["notifications"]
                 if n["kind"] == "page"]
        assert pages[:2] == [("page", 1, "an", "sms", "sent"), ("page", 1, "an", "email", "dead")]
        assert ("page", 2, "binh", "sms", "sent") in pages
        an_sms = body["notifications"][0]
        assert an_sms["attempts"] == 2 and an_sms["acknowledged_by"] == "Nguyễn Văn An (an, ack link)"
        dead = await d.http.get(f"/api/v1/incidents/{incident['id']}/notifications", params={"status": "dead"})
        assert dead.headers["X-Total-Count"] == "1" and "550 mailbox full" in dead.json()["notifications"][0]["error"]

        shown = await _cli(d, capsys, "show", str(incident["id"]))
        lines = shown.splitlines()
        assert any(line.startswith("paging: escalation g1 (bts-power) acknowledged, reached level 2;")
                   for line in lines), shown
        page = [line for line in lines if "page L1 → Nguyễn Văn An (sms +8490****101)" in line]
        assert len(page) == 1, shown
        assert re.search(r"^  \d\d:\d\d:\d\d \+\d\d  page L1 → Nguyễn Văn An \(sms \+8490\*\*\*\*101\)  "
                         r"sent \d\d:\d\d:\d\d \(attempt 2\); "
                         r"acknowledged \d\d:\d\d by Nguyễn Văn An \(an, ack link\)$", page[0]), page[0]
        mail = next(line for line in lines if "page L1 → Nguyễn Văn An (email a***@vienthong-gialai.example)" in line)
        assert "NOT DELIVERED: email: SMTP 550 mailbox full" in mail and "1 attempt," in mail, mail
        assert any("page L2 → Trần Thị Bình (sms +8490****202)  sent" in line for line in lines), shown
        assert any("ack notice → Trần Thị Bình (sms +8490****202)" in line for line in lines), shown
        assert any(re.search(r"acknowledged +Nguyễn Văn An \(an, ack link\)", line) for line in lines), shown
        # in time order: opened, then the pages, then the acknowledgement
        order = [next(k for k, line in enumerate(lines) if needle in line)
                 for needle in ("opened", "page L1 → Nguyễn Văn An (sms", "page L2 → Trần Thị Bình (sms",
                                "ack notice → Trần Thị Bình")]
        assert order == sorted(order), shown
        assert AN not in shown

        listed = await _cli(d, capsys, "list", "--state", "acknowledged", "--limit", "1")
        assert listed.splitlines()[-1] == "showing 1 of 2 incidents (newest first; --limit 2 to see them all)"
        everything = await _cli(d, capsys, "list", "--state", "acknowledged")
        assert everything.splitlines()[-1] == "2 incidents"


def test_a_footer_says_how_many_in_all_and_how_many_shown() -> None:
    assert format_footer(3, 3, "incidents") == "3 incidents"
    assert format_footer(100, 400, "incidents", "newest first; --limit 400 to see them all") == \
        "showing 100 of 400 incidents (newest first; --limit 400 to see them all)"
