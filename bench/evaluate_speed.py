"""How long one evaluation takes: the daemon evaluates every site after every poll (10,000
sites a minute), so a poll in which nothing changes must cost little.

``python3 -m bench.evaluate_speed`` times ``evaluate`` on a healthy UPS site (UPS-MIB and
IF-MIB readings: 3 phases, 8 interfaces), a healthy DC plant with 28 alarm rows, a site on
battery (window of 48 samples, trends fitted at each poll), a failed poll, and the state's JSON
round trip. Best of several runs, microseconds per call.
"""

from __future__ import annotations

import argparse
import json
import timeit

from sitewatch.config.schema import BackupSpec, Config, Site, SiteKind
from sitewatch.core.model import PollErrorKind, PollResult, Reading
from sitewatch.evaluation import SiteEvalState, evaluate, site_context

__all__ = ["healthy_ups", "main"]

T0 = 1_750_000_000.0


def _r(name: str, value: float | str | None, **labels: str) -> Reading:
    return Reading(name=name, value=value, labels=tuple(labels.items()))


def healthy_ups(on_battery: bool = False) -> tuple[Reading, ...]:
    """What a UPS-MIB + IF-MIB profile gives for a healthy site (or one on battery)."""
    b = on_battery
    return (
        _r("battery_status", "normal"), _r("seconds_on_battery", 600.0 if b else 0.0),
        _r("battery_runtime_seconds", None if b else 7200.0), _r("battery_charge_ratio", 0.8 if b else 1.0),
        _r("battery_voltage_volts", 48.5 if b else 54.0), _r("battery_current_amperes", -20.0 if b else 0.0),
        _r("battery_temperature_celsius", 27.0), _r("output_source", "battery" if on_battery else "normal"),
        _r("alarms_present", 2.0 if on_battery else 0.0), _r("on_battery", float(on_battery)),
        _r("mains_ok", float(not on_battery)), _r("uptime_seconds", 8_640_000.0),
        *(_r("input_voltage_volts", 0.0 if on_battery else 229.0 + i, phase=str(i)) for i in (1, 2, 3)),
        *(r for i in range(8) for r in (_r("link_up", 1.0 if i < 4 else 0.0, interface=f"ge-0/0/{i}"),
                                        _r("link_admin_up", 1.0 if i < 4 else 0.0, interface=f"ge-0/0/{i}"))),
    )


def _dc_plant() -> tuple[Reading, ...]:
    return (*healthy_ups()[:12], _r("rectifier_failed", 0.0), _r("lvd_open", 0.0), _r("generator_running", 0.0),
            _r("fuel_level_ratio", 0.9), *(_r("alarm_active", 0.0, alarm=f"alarm{i}") for i in range(28)))


def _best_us(fn: object, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=2000)
    args = ap.parse_args()
    site = Site(id="GL-BTS-001", name="bench", kind=SiteKind.BTS, province="Gia Lai",
                backup=BackupSpec(battery_capacity_ah=100, nominal_voltage=48, typical_load_watts=1000, generator=True))
    ctx = site_context(Config(sites=(site,)), site)
    results = {}

    def poll(readings: tuple[Reading, ...], ok: bool = True) -> PollResult:
        return PollResult(site_id=site.id, started_at=T0, duration_seconds=0.1, ok=ok, readings=readings,
                          error=None if ok else PollErrorKind.TIMEOUT)

    steady = SiteEvalState()
    for name, readings in (("healthy_ups", healthy_ups()), ("healthy_dc_plant_28_alarms", _dc_plant())):
        result = poll(readings)
        state, _ = evaluate(steady, ctx, result, T0)
        assert state is steady
        results[f"steady_{name}_us"] = _best_us(lambda r=result, s=state: evaluate(s, ctx, r, T0 + 60), args.number)
        results[f"{name}_readings"] = len(readings)
    # on battery: a full 48-sample window, the trends fitted at each poll
    state = SiteEvalState()
    battery = healthy_ups(on_battery=True)
    for i in range(60):
        charge = 0.9 - i * 0.002
        rs = tuple(Reading(name=r.name, value=charge) if r.name == "battery_charge_ratio" else r for r in battery)
        state, _ = evaluate(state, ctx, poll(rs), T0 + 60 * i)
    on_battery = poll(battery)
    results["on_battery_us"] = _best_us(lambda: evaluate(state, ctx, on_battery, T0 + 3660), args.number // 4)
    results["on_battery_method"] = state.runtime.method if state.runtime else None
    failed = poll((), ok=False)
    results["failed_poll_us"] = _best_us(lambda: evaluate(state, ctx, failed, T0 + 3660), args.number)
    text = state.to_json()
    results["state_json_bytes_on_battery"] = len(text)
    results["state_to_json_us"] = _best_us(state.to_json, args.number // 4)
    results["state_from_json_us"] = _best_us(lambda: SiteEvalState.from_json(text), args.number // 4)
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
