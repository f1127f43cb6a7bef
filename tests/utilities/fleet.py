"""Sites and times for the utility-request tests: a BTS cluster on one PC Gia Lai feeder."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sitewatch.config.schema import Site

TZ = "Asia/Ho_Chi_Minh"
#: Tuesday 8 Dec 2026, 21:40 in Gia Lai: after the district offices' hours
NIGHT = datetime(2026, 12, 8, 21, 40, tzinfo=ZoneInfo(TZ)).timestamp()
#: the same day at 09:10: office hours
MORNING = datetime(2026, 12, 8, 9, 10, tzinfo=ZoneInfo(TZ)).timestamp()
MIN = 60.0


def site(site_id: str, **extra: Any) -> Site:
    data: dict[str, Any] = {
        "id": site_id, "name": f"Trạm BTS {site_id}", "kind": "bts", "province": "Gia Lai",
        "district": "Chư Sê", "commune": "Thị trấn Chư Sê",
        "power": {"utility": "pc-gialai", "customer_id": f"PC13CS{site_id[-4:]}", "feeder": "Lộ 474 E Chư Sê"},
    }
    data.update(extra)
    return Site.model_validate(data)
