"""One request per dispatcher and feeder: 12 BTS on one feeder, ordered by when they go dark;
a critical site elsewhere on its own; later sites join as updates, restored ones leave."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.config.loader import load_config
from sitewatch.config.schema import Config, Site
from sitewatch.utilities.directory import contact_at
from sitewatch.utilities.grouping import GroupKey, OpenRequest, PendingSite, group_due, join, leave
from sitewatch.utilities.model import DueReason, GeneratorState, RequestDue, SiteState, Supply
from tests.utilities.fleet import MIN, MORNING, NIGHT, TZ, site

GIALAI = Path(__file__).resolve().parents[2] / "config" / "gialai"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(GIALAI)


def pending(config: Config, s: Site, *, due_at: float, depletion_at: float | None, now: float = NIGHT) -> PendingSite:
    utility = config.utilities["pc-gialai"]
    contact = contact_at(utility, s, now, TZ)
    assert contact is not None
    return PendingSite(
        site=s,
        state=SiteState(site_id=s.id, mains_lost_since=NIGHT, depletion_at=depletion_at,
                        generator=GeneratorState.ABSENT),
        due=RequestDue(site_id=s.id, supply=Supply.POWER, at=due_at, reason=DueReason.MAINS_LOST),
        key=GroupKey.of("pc-gialai", contact, s, Supply.POWER),
    )


def test_twelve_sites_on_one_feeder_are_one_request_by_predicted_depletion(config: Config) -> None:
    # depletion in a shuffled order: 95, 40, 150, ... minutes after the loss
    minutes = [95, 40, 150, 65, 120, 30, 180, 75, 55, 210, 45, 100]
    sites = [pending(config, site(f"GL-BTS-{100 + k:04d}"), due_at=NIGHT + k * MIN, depletion_at=NIGHT + m * MIN)
             for k, m in enumerate(minutes)]
    hospital = site("GL-BTS-0001", name="Trạm BTS Bệnh viện Đa khoa tỉnh", district="Pleiku", criticality="critical",
                    power={"utility": "pc-gialai", "feeder": "Lộ 472 E41 Diên Hồng"})
    elsewhere = pending(config, hospital, due_at=NIGHT + 10 * MIN, depletion_at=NIGHT + 200 * MIN)

    drafts = group_due([*sites, elsewhere], window=15 * MIN)

    assert len(drafts) == 2
    feeder, alone = drafts
    assert feeder.key == GroupKey("pc-gialai", "dieu-do", Supply.POWER, "feeder", "Lộ 474 E Chư Sê")
    assert [p.state.depletion_at for p in feeder.sites] == [NIGHT + m * MIN for m in sorted(minutes)]
    assert feeder.sites[0].site.id == "GL-BTS-0105"  # 30 min of battery left
    assert [p.site.id for p in alone.sites] == ["GL-BTS-0001"]
    assert alone.key.value == "Lộ 472 E41 Diên Hồng"


def test_in_office_hours_the_district_power_office_takes_the_request(config: Config) -> None:
    bts = site("GL-BTS-0101")
    utility = config.utilities["pc-gialai"]
    assert contact_at(utility, bts, MORNING, TZ) == "dl-chu-se"
    assert contact_at(utility, bts, NIGHT, TZ) == "dieu-do"  # after hours: the 24/24 dispatch centre
    noc = site("GL-NOC-PKU", district="Pleiku")
    assert contact_at(utility, noc, MORNING, TZ) == "dieu-do"  # listed by id: its own contact


def test_urgency_ties_go_to_criticality_then_subscribers(config: Config) -> None:
    a = pending(config, site("GL-BTS-0201", subscribers=900), due_at=NIGHT, depletion_at=None)
    b = pending(config, site("GL-BTS-0202", subscribers=4000), due_at=NIGHT, depletion_at=None)
    c = pending(config, site("GL-BTS-0203", criticality="high", subscribers=10), due_at=NIGHT, depletion_at=None)
    d = pending(config, site("GL-BTS-0204"), due_at=NIGHT, depletion_at=NIGHT + 300 * MIN)
    (draft,) = group_due([a, b, c, d], window=15 * MIN)
    assert [p.site.id for p in draft.sites] == ["GL-BTS-0204", "GL-BTS-0203", "GL-BTS-0202", "GL-BTS-0201"]


def test_without_a_feeder_sites_group_by_transformer_then_district(config: Config) -> None:
    t = site("GL-BTS-0301", power={"utility": "pc-gialai", "transformer": "TBA Chư Sê 3"})
    d = site("GL-BTS-0302", power={"utility": "pc-gialai"})
    assert GroupKey.of("pc-gialai", "dieu-do", t, Supply.POWER).by == "transformer"
    key = GroupKey.of("pc-gialai", "dieu-do", d, Supply.POWER)
    assert (key.by, key.value) == ("district", "Chư Sê")


def test_sites_due_past_the_window_start_another_request(config: Config) -> None:
    first = pending(config, site("GL-BTS-0401"), due_at=NIGHT, depletion_at=NIGHT + 120 * MIN)
    within = pending(config, site("GL-BTS-0402"), due_at=NIGHT + 15 * MIN, depletion_at=NIGHT + 130 * MIN)
    past = pending(config, site("GL-BTS-0403"), due_at=NIGHT + 16 * MIN, depletion_at=NIGHT + 60 * MIN)
    drafts = group_due([first, within, past], window=15 * MIN)
    assert [[p.site.id for p in d.sites] for d in drafts] == [["GL-BTS-0403"], ["GL-BTS-0401", "GL-BTS-0402"]]


def test_a_later_site_joins_the_open_request_and_restored_sites_leave(config: Config) -> None:
    first = pending(config, site("GL-BTS-0501"), due_at=NIGHT, depletion_at=None)
    opened = OpenRequest(reference="PCGL-20261208-001", key=first.key, opened_at=NIGHT, sites=("GL-BTS-0501",))
    other_line = OpenRequest(reference="PCGL-20261208-002", key=GroupKey("pc-gialai", "dieu-do", Supply.POWER,
                             "feeder", "Lộ 476 E Chư Sê"), opened_at=NIGHT, sites=("GL-BTS-0601",))
    late = pending(config, site("GL-BTS-0502"), due_at=NIGHT + 50 * MIN, depletion_at=None)
    joined = join([other_line, opened], late)
    assert joined is not None
    assert (joined.reference, joined.sites) == ("PCGL-20261208-001", ("GL-BTS-0501", "GL-BTS-0502"))
    assert join([other_line], late) is None  # nothing open on its feeder: a new request

    partial = leave(joined, "GL-BTS-0501")
    assert (partial.sites, partial.restored) == (("GL-BTS-0502",), ("GL-BTS-0501",))
    closed = leave(partial, "GL-BTS-0502")
    assert closed.sites == () and closed.restored == ("GL-BTS-0501", "GL-BTS-0502")
    assert leave(closed, "GL-BTS-0999") is closed
