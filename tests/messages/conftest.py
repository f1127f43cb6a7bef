"""Sites in Gia Lai as an operator describes them, and incidents at a fixed local time.

    BTS-HOSP  BTS serving the district hospital: critical, in a quarantine area, with its power
              company details and coordinates
    BTS-2     an ordinary BTS in Chư Sê
    TS-PKU    a provincial telecom station in Pleiku
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sitewatch.config.schema import Criticality, PowerSupply, Site, SiteKind, StationLevel, Utility, UtilityKind
from sitewatch.core.conditions import Condition, RuntimeEstimate, Severity, Summary, severity_for
from sitewatch.core.incident import Incident, IncidentState
from sitewatch.messages.acklinks import AckSigner

TZ = "Asia/Ho_Chi_Minh"
#: 22:15 local time on 21 September 2026
T0 = datetime(2026, 9, 21, 22, 15, tzinfo=ZoneInfo(TZ)).timestamp()
BASE_URL = "https://sitewatch.vnpt-gialai.vn"
NO_SUMMARY = Summary()
KEY = b"0123456789abcdef0123456789abcdef"
SIGNER = AckSigner(KEY, ttl=86400.0)

HOSP = Site(
    id="BTS-HOSP", name="Trạm BTS Bệnh viện Chư Sê", kind=SiteKind.BTS, province="Gia Lai", district="Chư Sê",
    commune="Ia Blang", address="thôn 3, xã Ia Blang", latitude=13.7012, longitude=108.0853,
    criticality=Criticality.CRITICAL, criticality_reasons=("phục vụ Bệnh viện Đa khoa huyện Chư Sê",),
    restricted_area="khu cách ly y tế thôn 3, cần giấy phép của Ban chỉ đạo huyện",
    power=PowerSupply(utility="pc-gialai", customer_id="PB06000123456", feeder="471 E42", transformer="TBA Ia Blang 3"),
    team="chuse")
BTS2 = Site(id="BTS-2", name="Trạm Chư Sê 2", kind=SiteKind.BTS, province="Gia Lai", district="Chư Sê")
PROVINCIAL = Site(id="TS-PKU", name="Trạm viễn thông Pleiku", kind=SiteKind.TELECOM_STATION,
                  level=StationLevel.PROVINCIAL, province="Gia Lai", district="Pleiku",
                  criticality=Criticality.HIGH)
UTILITIES = {"pc-gialai": Utility(name="Công ty Điện lực Gia Lai", kind=UtilityKind.POWER, phone="0269 3822 222")}


def incident(id: int, site: Site, condition: Condition, *, opened: float = T0,
             state: IncidentState = IncidentState.OPEN, runtime_left: float | None = None,
             method: str = "charge_trend", summary: Summary = NO_SUMMARY, subject: str = "",
             acknowledged: tuple[str, float] | None = None, resolved: tuple[str, float] | None = None) -> Incident:
    """An incident as the store holds it; ``runtime_left`` seconds of battery estimated at ``opened``."""
    runtime = None if runtime_left is None else RuntimeEstimate(seconds=runtime_left, method=method, at=opened)
    if acknowledged and state is IncidentState.OPEN:
        state = IncidentState.ACKNOWLEDGED
    if resolved:
        state = IncidentState.RESOLVED
    return Incident(id=id, site_id=site.id, condition=condition, subject=subject,
                    severity=Severity(severity_for(condition, site.criticality)), state=state, opened_at=opened,
                    updated_at=opened, summary=summary, runtime=runtime,
                    acknowledged_by=acknowledged[0] if acknowledged else None,
                    acknowledged_at=acknowledged[1] if acknowledged else None,
                    resolved_by=resolved[0] if resolved else None, resolved_at=resolved[1] if resolved else None)
