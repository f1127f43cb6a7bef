"""Which of a utility's contacts takes a site's request at a given time.

The area serving the site names a contact; outside that contact's working hours its
``after_hours`` contact answers instead (one step: an after-hours desk is staffed around the
clock, or has its own hours and after-hours contact).
"""

from __future__ import annotations

from datetime import timedelta

from sitewatch.config.schema import Site, Utility
from sitewatch.config.utility_schema import WEEKDAYS, WorkingHours
from sitewatch.messages.timefmt import local

__all__ = ["area_contact", "contact_at", "in_hours"]


def in_hours(hours: WorkingHours | None, at: float, tz: str) -> bool:
    """Whether ``at`` falls in ``hours`` (None = around the clock). Hours past midnight
    (22:00–06:00) belong to the day they start on."""
    if hours is None:
        return True
    t = local(at, tz)
    clock = t.time().replace(tzinfo=None)
    if hours.start < hours.end:
        return WEEKDAYS[t.weekday()] in hours.days and hours.start <= clock < hours.end
    if clock >= hours.start:
        return WEEKDAYS[t.weekday()] in hours.days
    return clock < hours.end and WEEKDAYS[(t - timedelta(days=1)).weekday()] in hours.days


def area_contact(utility: Utility, site: Site) -> str | None:
    """The contact id of the area serving ``site``; None when the utility lists no areas."""
    area = utility.area_for(site.id, site.district)
    return None if area is None else area.contact


def contact_at(utility: Utility, site: Site, at: float, tz: str) -> str | None:
    """The contact id that takes the site's request at ``at``: its area's, or that one's
    after-hours contact outside its hours."""
    cid = area_contact(utility, site)
    seen: set[str] = set()
    while cid is not None and cid not in seen:
        seen.add(cid)
        contact = utility.contacts[cid]
        if in_hours(contact.hours, at, tz) or contact.after_hours is None:
            return cid
        cid = contact.after_hours
    return cid
