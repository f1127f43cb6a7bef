"""Who is on call when: rotations, layers, restrictions, overrides and gaps, as a person on
duty reads them on the local clock (Asia/Ho_Chi_Minh has no DST; Europe/Berlin and
America/New_York do)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.oncall.util import at, local, schedule, timeline

DAY = {"name": "day", "members": ["an", "binh", "cuong"], "shift": "1d", "start": "2026-03-02", "handoff": "07:00"}
NIGHT = {"name": "night", "members": ["dung", "hai"], "shift": "7d", "start": "2026-03-02", "handoff": "18:00",
         "restrictions": [{"start": "18:00", "end": "07:00"}]}


def test_daily_rotation_in_ho_chi_minh_hands_off_at_08_local_every_day() -> None:
    s = schedule({"name": "day", "members": ["an", "binh"], "shift": "1d", "start": "2026-03-02", "handoff": "08:00"})
    assert timeline(s, at("2026-03-02T08:00"), at("2026-03-05T08:00")) == [
        ("03-02 08:00 +0700", "03-03 08:00 +0700", "an", "day"),
        ("03-03 08:00 +0700", "03-04 08:00 +0700", "binh", "day"),
        ("03-04 08:00 +0700", "03-05 08:00 +0700", "an", "day"),
    ]
    assert s.on_call(at("2026-03-03T07:59")) == ("an",)
    assert s.on_call(at("2026-03-03T08:00")) == ("binh",)
    assert [x.end - x.start for x in s.shifts(at("2026-03-02T08:00"), at("2026-03-05T08:00"))] == [86400.0] * 3


def test_daily_handoff_stays_at_08_local_across_both_dst_changes_in_berlin() -> None:
    tz = "Europe/Berlin"
    s = schedule({"name": "day", "members": ["a", "b", "c"], "shift": "1d", "start": "2026-03-27", "handoff": "08:00"},
                 tz=tz)
    spring = s.shifts(at("2026-03-27T08:00", tz), at("2026-03-31T08:00", tz))
    assert [(local(x.start, tz), x.person) for x in spring] == [
        ("03-27 08:00 +0100", "a"), ("03-28 08:00 +0100", "b"), ("03-29 08:00 +0200", "c"), ("03-30 08:00 +0200", "a"),
    ]
    # the shift over the night the clocks go forward is 23 hours long
    assert [(x.end - x.start) / 3600 for x in spring] == [24, 23, 24, 24]
    autumn = s.shifts(at("2026-10-24T08:00", tz), at("2026-10-26T08:00", tz))
    assert [(local(x.start, tz), (x.end - x.start) / 3600) for x in autumn] == [
        ("10-24 08:00 +0200", 25), ("10-25 08:00 +0100", 24),
    ]


def test_twelve_hour_shifts_in_new_york_hand_off_at_0730_and_1930_local_across_dst() -> None:
    tz = "America/New_York"
    s = schedule({"name": "ops", "members": ["a", "b", "c"], "shift": "12h", "start": "2026-03-07",
                  "handoff": "07:30"}, tz=tz)
    shifts = s.shifts(at("2026-03-07T07:30", tz), at("2026-03-09T07:30", tz))
    assert [(local(x.start, tz), x.person, (x.end - x.start) / 3600) for x in shifts] == [
        ("03-07 07:30 -0500", "a", 12), ("03-07 19:30 -0500", "b", 11),  # the clocks skip 02:00-03:00
        ("03-08 07:30 -0400", "c", 12), ("03-08 19:30 -0400", "a", 12),
    ]


def test_a_handoff_at_a_wall_time_the_clock_skips_happens_at_the_jump() -> None:
    tz = "America/New_York"  # 2026-03-08 02:00 EST → 03:00 EDT
    s = schedule({"name": "ops", "members": ["a", "b", "c"], "shift": "8h", "start": "2026-03-07", "handoff": "02:00"},
                 tz=tz)
    shifts = s.shifts(at("2026-03-07T18:00", tz), at("2026-03-08T18:00", tz))
    assert [(local(x.start, tz), x.person) for x in shifts] == [
        ("03-07 18:00 -0500", "c"), ("03-08 03:00 -0400", "a"), ("03-08 10:00 -0400", "b"),
    ]


def test_a_handoff_at_a_wall_time_the_clock_shows_twice_happens_once_at_the_first() -> None:
    tz = "America/New_York"  # 2026-11-01 02:00 EDT → 01:00 EST: 01:00-02:00 happens twice
    s = schedule({"name": "ops", "members": ["a", "b"], "shift": "1d", "start": "2026-10-31", "handoff": "01:30"},
                 tz=tz)
    first = at("2026-11-01T01:30-04:00")
    assert s.on_call(first - 1) == ("a",)
    assert s.on_call(first) == ("b",)
    assert s.on_call(first + 3600) == ("b",)  # 01:30 again, now EST: no second handoff
    assert [local(x.start, tz) for x in s.shifts(first - 60, first + 7200)] == [
        "11-01 01:29 -0400", "11-01 01:30 -0400"]


def test_a_restriction_in_the_repeated_hour_applies_to_both_passes_of_the_clock() -> None:
    tz = "America/New_York"
    s = schedule({"name": "base", "members": ["a"], "shift": "1d", "start": "2026-10-01", "handoff": "08:00"},
                 {"name": "top", "members": ["n"], "shift": "1d", "start": "2026-10-01", "handoff": "08:00",
                  "restrictions": [{"days": ["sun"], "start": "00:30", "end": "01:30"}]}, tz=tz)
    shifts = s.shifts(at("2026-11-01T00:00", tz), at("2026-11-01T03:00", tz))
    assert [(local(x.start, tz), x.person) for x in shifts] == [
        ("11-01 00:00 -0400", "a"), ("11-01 00:30 -0400", "n"), ("11-01 01:30 -0400", "a"),
        ("11-01 01:00 -0500", "n"), ("11-01 01:30 -0500", "a"),
    ]


def test_weekly_rotation_hands_off_on_monday_morning() -> None:
    s = schedule({"name": "director", "members": ["long", "mai"], "shift": "7d", "start": "2026-01-05",
                  "handoff": "08:00"})
    assert s.on_call(at("2026-01-05T08:00")) == ("long",)
    assert s.on_call(at("2026-01-12T07:59")) == ("long",)
    assert s.on_call(at("2026-01-12T08:00")) == ("mai",)
    assert s.on_call(at("2026-01-19T08:00")) == ("long",)
    assert s.on_call(at("2026-12-21T08:00")) == ("long",)  # 50 weeks on
    assert s.on_call(at("2026-12-28T08:00")) == ("mai",)


def test_night_layer_wins_over_the_day_layer_between_18_and_07() -> None:
    s = schedule(DAY, NIGHT)
    assert s.on_call(at("2026-03-03T12:00")) == ("binh",)
    assert s.on_call(at("2026-03-03T18:00")) == ("dung",)
    assert s.on_call(at("2026-03-04T06:59")) == ("dung",)
    assert s.on_call(at("2026-03-04T07:00")) == ("cuong",)
    assert timeline(s, at("2026-03-03T07:00"), at("2026-03-04T18:00")) == [
        ("03-03 07:00 +0700", "03-03 18:00 +0700", "binh", "day"),
        ("03-03 18:00 +0700", "03-04 07:00 +0700", "dung", "night"),
        ("03-04 07:00 +0700", "03-04 18:00 +0700", "cuong", "day"),
    ]
    assert s.on_call(at("2026-03-09T20:00")) == ("hai",)  # the night layer's second week


def test_a_weekday_night_layer_leaves_the_weekend_to_the_day_layer() -> None:
    night = {**NIGHT, "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "18:00", "end": "07:00"}]}
    s = schedule(DAY, night)
    fri, sat, sun, mon = "2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09"
    assert s.on_call(at(f"{fri}T20:00")) == ("dung",)
    assert s.on_call(at(f"{sat}T03:00")) == ("dung",)  # Friday's night runs into Saturday
    assert s.on_call(at(f"{sat}T20:00")) == ("cuong",)  # the day layer: Saturday 07:00 shift
    assert s.on_call(at(f"{sun}T23:00")) == ("an",)
    assert s.on_call(at(f"{mon}T03:00")) == ("an",)  # Sunday has no night window
    assert s.on_call(at(f"{mon}T19:00")) == ("hai",)


def test_office_hours_only_layer_leaves_gaps() -> None:
    s = schedule({"name": "office", "members": ["an"], "shift": "1d", "start": "2026-03-02", "handoff": "08:00",
                  "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]})
    assert s.gaps(at("2026-03-06T00:00"), at("2026-03-09T12:00")) == [
        (at("2026-03-06T00:00"), at("2026-03-06T08:00")), (at("2026-03-06T17:00"), at("2026-03-09T08:00")),
    ]
    assert s.on_call(at("2026-03-07T10:00")) == ()
    # one person every weekday: the shifts between gaps are whole office days
    assert timeline(s, at("2026-03-09T00:00"), at("2026-03-10T00:00")) == [
        ("03-09 08:00 +0700", "03-09 17:00 +0700", "an", "office"),
    ]


def test_before_the_rotation_starts_nobody_is_on_call() -> None:
    s = schedule({**DAY, "start": "2026-03-10"})
    assert s.on_call(at("2026-03-10T06:59")) == ()
    assert s.gaps(at("2026-03-09T00:00"), at("2026-03-11T00:00")) == [(at("2026-03-09T00:00"), at("2026-03-10T07:00"))]


def test_a_layer_without_members_has_nobody_and_the_layer_below_shows_through() -> None:
    s = schedule(DAY, {**NIGHT, "members": []})
    assert s.on_call(at("2026-03-03T20:00")) == ("binh",)


def test_override_for_a_date_range_covers_whoever_is_on_duty_and_then_hands_back() -> None:
    leave = {"person": "hai", "start": "2026-03-10", "end": "2026-03-12", "reason": "Cường nghỉ phép"}
    s = schedule(DAY, NIGHT, overrides=(leave,))
    assert s.on_call(at("2026-03-09T23:59")) == ("hai",)  # the night layer's week 2 anyway
    assert s.on_call(at("2026-03-10T12:00")) == ("hai",)  # day shift: replaced
    assert s.on_call(at("2026-03-11T23:59")) == ("hai",)
    assert s.on_call(at("2026-03-12T00:00")) == ("hai",)  # the night layer again
    assert s.on_call(at("2026-03-12T08:00")) == ("binh",)
    assert [x.layer for x in s.shifts(at("2026-03-10T00:00"), at("2026-03-12T00:00"))] == ["override"]


def test_a_swap_given_with_an_offset_and_a_later_override_winning_where_they_overlap() -> None:
    swap = {"person": "cuong", "start": "2026-03-03T01:00:00+00:00", "end": "2026-03-03T11:00:00+00:00"}
    inner = {"person": "an", "start": "2026-03-03T12:00", "end": "2026-03-03T13:00"}
    s = schedule(DAY, NIGHT, overrides=(swap, inner))
    assert timeline(s, at("2026-03-03T07:00"), at("2026-03-03T20:00")) == [
        ("03-03 07:00 +0700", "03-03 08:00 +0700", "binh", "day"),
        ("03-03 08:00 +0700", "03-03 12:00 +0700", "cuong", "override"),
        ("03-03 12:00 +0700", "03-03 13:00 +0700", "an", "override"),
        ("03-03 13:00 +0700", "03-03 18:00 +0700", "cuong", "override"),
        ("03-03 18:00 +0700", "03-03 20:00 +0700", "dung", "night"),
    ]


def test_an_override_fills_a_gap() -> None:
    office = {"name": "office", "members": ["an"], "shift": "1d", "start": "2026-03-02", "handoff": "08:00",
              "restrictions": [{"start": "08:00", "end": "17:00"}]}
    s = schedule(office, overrides=({"person": "binh", "start": "2026-03-02T17:00", "end": "2026-03-03T08:00"},))
    assert s.gaps(at("2026-03-02T08:00"), at("2026-03-03T17:00")) == []


def test_one_persons_adjacent_duty_is_one_shift_even_across_layers() -> None:
    s = schedule({"name": "day", "members": ["an"], "shift": "1d", "start": "2026-03-02", "handoff": "07:00"},
                 {**NIGHT, "members": ["an"]})
    assert timeline(s, at("2026-03-02T07:00"), at("2026-03-05T07:00")) == [
        ("03-02 07:00 +0700", "03-05 07:00 +0700", "an", "day+night"),
    ]


def test_who_is_on_call_agrees_with_the_timeline_at_every_instant() -> None:
    tz = "America/New_York"
    s = schedule(
        {"name": "day", "members": ["a", "b", "c"], "shift": "1d", "start": "2026-02-25", "handoff": "01:30"},
        {"name": "night", "members": ["n", "m"], "shift": "5h", "start": "2026-02-25", "handoff": "02:15",
         "restrictions": [{"days": ["sat"], "start": "01:00", "end": "02:45"},
                          {"days": ["sun"], "start": "00:30", "end": "01:30"},  # ends twice on 1 Nov
                          {"days": ["mon"], "start": "22:00", "end": "06:00"}]},
        tz=tz, overrides=({"person": "o", "start": "2026-03-08T01:50", "end": "2026-03-08T04:10"},
                          {"person": "p", "start": "2026-11-01T01:10", "end": "2026-11-01T01:40"}))
    windows = [(at("2026-03-05T00:00", tz), at("2026-03-11T00:00", tz)),
               (at("2026-10-29T00:00", tz), at("2026-11-04T00:00", tz)),
               # the nights the clocks change, closely
               (at("2026-03-07T23:00", tz), at("2026-03-08T05:00", tz)),
               (at("2026-10-31T23:00", tz), at("2026-11-01T04:00", tz))]

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(windows), st.integers(min_value=0, max_value=6 * 86400 - 1))
    def check(window: tuple[float, float], offset: int) -> None:
        start, end = window
        t = start + offset % (end - start)  # a DST week is an hour short or long
        covering = [x.person for x in s.shifts(start, end) if x.start <= t < x.end]
        in_gap = any(a <= t < b for a, b in s.gaps(start, end))
        assert tuple(covering) == s.on_call(t)
        assert in_gap == (s.on_call(t) == ())

    check()
    for start, end in windows:  # shifts and gaps tile the window exactly
        pieces = sorted([(x.start, x.end) for x in s.shifts(start, end)] + s.gaps(start, end))
        assert pieces[0][0] == start and pieces[-1][1] == end
        assert all(a[1] == b[0] for a, b in pairwise(pieces))
