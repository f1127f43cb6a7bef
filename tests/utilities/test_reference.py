"""Request numbers: prefix, local date, a sequence that restarts each local day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sitewatch.config.schema import Utility
from sitewatch.utilities.reference import next_reference, request_prefix
from tests.utilities.fleet import TZ


def test_sequence_per_local_day() -> None:
    late = datetime(2026, 12, 8, 23, 50, tzinfo=ZoneInfo(TZ)).timestamp()  # 16:50 UTC
    assert next_reference("PCGL", late, TZ, []) == "PCGL-20261208-001"
    issued = ["PCGL-20261208-001", "PCGL-20261208-002", "PCGL-20261207-009", "CNGL-20261208-004"]
    assert next_reference("PCGL", late, TZ, issued) == "PCGL-20261208-003"
    # 00:10 local is still 17:10 UTC of the 8th: the 9th's first number
    assert next_reference("PCGL", late + 20 * 60, TZ, issued) == "PCGL-20261209-001"


def test_prefix_from_the_directory_or_the_utility_id() -> None:
    pc = Utility.model_validate({"name": "PC Gia Lai", "kind": "power", "request_prefix": "PCGL"})
    assert request_prefix("pc-gialai", pc) == "PCGL"
    plain = Utility.model_validate({"name": "Cấp nước", "kind": "water"})
    assert request_prefix("cntn_gialai", plain) == "CNTN-GIALAI"
