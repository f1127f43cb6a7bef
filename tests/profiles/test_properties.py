"""Property tests: whatever an agent (or a broken client) returns, ``readings()`` does not
raise, produces only canonical values of the right kind, and never turns a value that is not a
number into a number.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitewatch.core.model import CANONICAL, ReadingKind, SnmpException
from sitewatch.snmp.profiles import CompiledProfiles, compile_profiles, load_profiles

PROFILES = load_profiles()

#: anything at all: SNMP values (with the boundaries of 32/64-bit integers), and things that are
#: not SNMP values (floats, bools, lists) a broken client could hand over
raw_values = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64),
    st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, -1, 255, 2147483647, 2147483648, 4294967295, -2147483648]),
    st.binary(max_size=24),
    st.sampled_from([b"54.01", b"-48.5", b"nan", b"inf", b"1e999", b"\x00\x00", b"1_0", b" 7 ", b"0x10"]),
    st.text(max_size=16),
    st.none(),
    st.sampled_from(list(SnmpException)),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)

#: values a number must never come from
NOT_NUMBERS = (type(None), SnmpException, float, bool, list)


def _raw_strategy(compiled: CompiledProfiles) -> st.SearchStrategy[dict[str, object]]:
    cells = [*compiled.plan.scalars,
             *(f"{col}.{i}" for col in compiled.plan.columns for i in ("1", "2", "0", "7.3"))]
    return st.dictionaries(st.sampled_from(cells), raw_values, max_size=len(cells))


COMBINATIONS = [(name,) for name in sorted(PROFILES)] + [("ups-mib", "if-mib", "entity-sensor")]


@pytest.mark.parametrize("names", COMBINATIONS, ids="+".join)
def test_arbitrary_raw_values_never_crash_nor_make_up_numbers(names: tuple[str, ...]) -> None:
    compiled = compile_profiles([PROFILES[n] for n in names])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(raw=_raw_strategy(compiled))
    def check(raw: dict[str, object]) -> None:
        for r in compiled.readings(raw):  # type: ignore[arg-type]
            canon = CANONICAL[r.name]
            if r.value is None:
                continue
            if canon.kind is ReadingKind.STATE:
                assert r.value in canon.states
            else:
                assert isinstance(r.value, float) and math.isfinite(r.value), r
                if canon.kind is ReadingKind.BOOL:
                    assert r.value in (0.0, 1.0)
            # a mapped value (not a derived one) names its raw value first: it must have been usable
            oid = r.source.split("=", 1)[0]
            if oid in compiled.plan.scalars or any(oid.startswith(c + ".") for c in compiled.plan.columns):
                assert oid in raw, r
                assert not isinstance(raw[oid], NOT_NUMBERS), (r, raw[oid])

    check()
