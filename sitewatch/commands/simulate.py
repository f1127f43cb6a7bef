"""``sitewatch simulate``: every site of a configuration served by simulated SNMP agents on
127.0.0.1, and ``sitewatch simulate ctl`` to change them while they run.

    sitewatch simulate --config config/gialai --write-config /tmp/fleet.yaml
    sitewatch simulate ctl GL-BTS-001 mains off
    sitewatch simulate ctl GL-BTS-001 battery --drain 0.02
    sitewatch simulate ctl GL-BTS-001 link eth0 down
    sitewatch simulate ctl GL-BTS-001 generator on
    sitewatch simulate ctl GL-BTS-001 agent off
    sitewatch simulate ctl GL-NOC-01 alarm battery_bad on
    sitewatch simulate ctl GL-BTS-001 phase 2 0
    sitewatch simulate ctl GL-BTS-001 door open
    sitewatch simulate ctl status [SITE]

``--write-config`` is written only once every agent answers, so a waiting process may poll for
the file. SIGTERM/SIGINT stop everything (the snmpsim subprocess included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from sitewatch.config.loader import load_config
from sitewatch.core.errors import ConfigError
from sitewatch.simulator.control import ControlServer
from sitewatch.simulator.fleet import Fleet
from sitewatch.simulator.fleetconfig import fleet_config, write_fleet_config
from sitewatch.simulator.plan import load_fleet_file
from sitewatch.simulator.site_state import SimClock

__all__ = ["add_parser", "run", "run_ctl"]

DEFAULT_CONTROL = "127.0.0.1:9642"
_ON = {"on": True, "up": True, "ok": True, "true": True, "yes": True,
       "off": False, "down": False, "fail": False, "false": False, "no": False}
_CTL_USAGE = """\
  ctl status [SITE]                 every site (or one) as the simulator serves it
  ctl SITE mains off|on             mains fails / returns
  ctl SITE battery [--drain R] [--charge C]
                                    fast-forward the discharge (charge ratio per minute; the load,
                                    current and the device's runtime stay the site's), charge now (0..1)
  ctl SITE link IFNAME down|up      an interface goes down / up (ifOperStatus)
  ctl SITE generator on|off         the site's generator starts / stops
  ctl SITE agent off|on             the site's agent stops answering / answers again
  ctl SITE alarm NAME on|off        a UPS-MIB well-known alarm in upsAlarmTable (battery_bad,
                                    output_overload, charger_failed, general_fault,
                                    ups_output_off, shutdown_imminent, ...)
  ctl SITE bypass on|off            the UPS output goes onto its bypass / back to the inverter
  ctl SITE phase N VOLTS|normal     one AC input phase's voltage (0: the phase is lost)
  ctl SITE volts VOLTS|normal       every AC input phase's voltage
  ctl SITE frequency HZ|normal      the AC input frequency (UPS)
  ctl SITE temperature C|normal     the room temperature on the site monitor
  ctl SITE door open|closed         the door contact on the site monitor
  ctl SITE smoke on|off             the smoke detector on the site monitor
  ctl advance SECONDS               move the simulated clock ahead
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("simulate", help="serve a configuration's sites from simulated SNMP agents (no hardware)",
                       description="Serve every site of CONFIG as a simulated SNMP agent on its own 127.0.0.1 "
                                   "port (one snmpsim process behind them), with a control API to fail mains, "
                                   "drain batteries, start generators, drop links, silence agents and inject "
                                   "faults (UPS alarms, bypass, a lost phase, room temperature, door, smoke).")
    p.add_argument("--config", "-c", help="configuration whose sites are simulated (file or directory)")
    p.add_argument("--fleet", help="fleet file choosing a recording or generated device per site")
    p.add_argument("--control", default=DEFAULT_CONTROL, help=f"control API address (default {DEFAULT_CONTROL})")
    p.add_argument("--port-base", type=int, default=0,
                   help="first agent port; sites get consecutive ports (default: any free ports)")
    p.add_argument("--state-dir", help="where the simulator keeps its files (default: a new temporary directory)")
    p.add_argument("--write-config", metavar="OUT.yaml",
                   help="write the daemon configuration for the simulated fleet here once every agent answers")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    p.set_defaults(func=run)
    ctl_sub = p.add_subparsers(dest="simulate_command", metavar="ctl")
    c = ctl_sub.add_parser("ctl", help="change a running simulated fleet", usage="sitewatch simulate ctl ...",
                           description=_CTL_USAGE, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--control", dest="ctl_control", help=f"simulator control API (default {DEFAULT_CONTROL})")
    c.add_argument("--drain", type=float,
                   help="fast-forward the discharge while on battery: charge ratio lost per minute")
    c.add_argument("--charge", type=float, help="battery charge now, 0..1")
    c.add_argument("words", nargs="+", help="status [SITE] | SITE mains|battery|link|generator|agent|alarm|bypass|"
                                            "phase|volts|frequency|temperature|door|smoke ...")
    c.set_defaults(func=run_ctl)


# -- serving ---------------------------------------------------------------------------------
def _host_port(text: str) -> tuple[str, int]:
    text = text.removeprefix("http://").rstrip("/")
    host, _, port = text.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


async def _serve(fleet: Fleet, control_address: str, out: Path | None) -> int:
    control = ControlServer(fleet, *_host_port(control_address))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    try:
        starting = asyncio.create_task(fleet.start())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return 0
        starting.result()
        await control.start()
        ports = fleet.ports()
        if out is not None:
            write_fleet_config(out, fleet_config(fleet.config, list(fleet.sites.values()), ports,
                                                 state_dir=fleet.workdir / "daemon"))
        print(f"sitewatch simulate: {len(ports)} sites answering on 127.0.0.1 ports "
              f"{min(ports.values(), default=0)}-{max(ports.values(), default=0)}; control API {control.url}"
              + (f"; daemon config {out}" if out else "") + f"; files in {fleet.workdir}", flush=True)
        await stopping
        return 0
    finally:
        stopping.cancel()
        await control.stop()
        await fleet.stop()


def run(args: argparse.Namespace) -> int:
    if not args.config:
        print("sitewatch simulate: --config is required (or use 'sitewatch simulate ctl ...')", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
        fleet = Fleet(config, workdir=Path(args.state_dir or tempfile.mkdtemp(prefix="sitewatch-sim-")).resolve(),
                      fleet_file=load_fleet_file(args.fleet) if args.fleet else None,
                      port_base=args.port_base, clock=SimClock(args.speed))
    except (ConfigError, ValidationError, ValueError, OSError) as e:
        print(f"sitewatch simulate: {e}", file=sys.stderr)
        return 2
    out = Path(args.write_config).resolve() if args.write_config else None
    if out is not None:
        out.unlink(missing_ok=True)  # whoever waits for it must not read a previous run's
    try:
        return asyncio.run(_serve(fleet, args.control, out))
    except OSError as e:  # the control address is taken, say
        print(f"sitewatch simulate: {e}", file=sys.stderr)
        return 1


# -- controlling -----------------------------------------------------------------------------
class _Usage(Exception):
    pass


def _switch(word: str) -> bool:
    try:
        return _ON[word.lower()]
    except KeyError:
        raise _Usage(f"expected on/off (or up/down), got {word!r}") from None


def _value(word: str) -> float | None:
    """A number, or ``normal`` (as the device has it)."""
    if word.lower() == "normal":
        return None
    try:
        return float(word)
    except ValueError:
        raise _Usage(f"expected a number or 'normal', got {word!r}") from None


def _request(words: list[str], drain: float | None, charge: float | None) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, body) for the words after ``ctl``."""
    if words[0] == "status" and len(words) <= 2:
        return "GET", "/sites" + (f"/{urllib.parse.quote(words[1], safe='')}" if len(words) == 2 else ""), None
    if words[0] == "advance" and len(words) == 2:
        return "POST", "/clock/advance", {"seconds": float(words[1])}
    if len(words) < 2:
        raise _Usage("expected SITE ACTION ...")
    site, action, rest = urllib.parse.quote(words[0], safe=""), words[1], words[2:]
    if action == "battery" and not rest:
        if drain is None and charge is None:
            raise _Usage("battery needs --drain and/or --charge")
        body = {k: v for k, v in (("drain_per_minute", drain), ("charge", charge)) if v is not None}
        return "POST", f"/sites/{site}/battery", body
    if action == "link" and len(rest) == 2:
        return "POST", f"/sites/{site}/links/{urllib.parse.quote(rest[0], safe='')}", {"up": _switch(rest[1])}
    if action == "alarm" and len(rest) == 2:
        return "POST", f"/sites/{site}/alarms/{urllib.parse.quote(rest[0], safe='')}", {"active": _switch(rest[1])}
    if action == "phase" and len(rest) == 2 and rest[0].isdigit():
        return "POST", f"/sites/{site}/input", {"phase": int(rest[0]), "volts": _value(rest[1])}
    numbers = {"volts": ("input", "volts"), "frequency": ("input", "hz"), "temperature": ("temperature", "celsius")}
    if action in numbers and len(rest) == 1:
        path, key = numbers[action]
        return "POST", f"/sites/{site}/{path}", {key: _value(rest[0])}
    if action == "door" and len(rest) == 1 and rest[0].lower() in ("open", "closed"):
        return "POST", f"/sites/{site}/door", {"open": rest[0].lower() == "open"}
    keys = {"mains": "ok", "generator": "running", "agent": "answering", "bypass": "on", "smoke": "detected"}
    if action in keys and len(rest) == 1:
        return "POST", f"/sites/{site}/{action}", {keys[action]: _switch(rest[0])}
    raise _Usage(f"cannot understand {' '.join(words)!r}")


def _duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def _line(st: dict[str, Any]) -> str:
    b = st["battery"]
    power = "mains ok" if st["mains_ok"] else "MAINS FAILED"
    if st["generator_running"]:
        power += ", generator running"
    if st["on_battery"]:
        power += f", on battery {_duration(st['seconds_on_battery'])}"
    down = [name for name, up in st["links"].items() if not up]
    return (f"{st['id']:<16} {st['source'].split(':', 1)[0][:9]:<9} {st['host']}:{st['port']:<6} "
            f"{'answering' if st['answering'] else 'SILENT':<9}  {power}; battery {b['charge_ratio']:.0%} "
            f"{b['voltage_volts']:.1f} V {b['status']} {b['current_amperes']:+.1f} A, "
            f"runtime {_duration(b['runtime_seconds'])}"
            + (f" (empty in {_duration(b['empty_in_seconds'])} at the set drain)"
               if st["on_battery"] and b["empty_in_seconds"] != b["runtime_seconds"] else "")
            + (f"; links down: {', '.join(down)}" if down else "") + _faults(st))


def _faults(st: dict[str, Any]) -> str:
    """What was injected by hand, as the line's tail."""
    parts = []
    if st.get("bypass"):
        parts.append("UPS ON BYPASS")
    volts, hz = st.get("input", {}).get("volts"), st.get("input", {}).get("hz")
    if volts:
        parts.append("input " + ", ".join(f"phase {p} {v:g} V" for p, v in volts.items()))
    if hz is not None:
        parts.append(f"input {hz:g} Hz")
    if st.get("room_celsius") is not None:
        parts.append(f"room {st['room_celsius']:g} °C")
    if st.get("door_open"):
        parts.append("DOOR OPEN")
    if st.get("smoke"):
        parts.append("SMOKE")
    if st.get("alarms"):
        parts.append("UPS alarms: " + ", ".join(st["alarms"]))
    return "".join(f"; {p}" for p in parts)


def run_ctl(args: argparse.Namespace) -> int:
    control = args.ctl_control or args.control or DEFAULT_CONTROL
    base = control if control.startswith(("http://", "https://")) else f"http://{control}"
    try:
        method, path, body = _request(args.words, args.drain, args.charge)
    except (_Usage, ValueError) as e:
        print(f"sitewatch simulate ctl: {e}\n{_CTL_USAGE}", file=sys.stderr)
        return 2
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
    try:
        response = httpx.request(method, base.rstrip("/") + path, json=body, timeout=10)
    except httpx.TransportError as e:
        print(f"sitewatch simulate ctl: no simulator at {base} ({e}); is 'sitewatch simulate' running?",
              file=sys.stderr)
        return 1
    data = response.json()
    if response.status_code != 200:
        print(f"sitewatch simulate ctl: {data.get('error', response.text)}", file=sys.stderr)
        return 1
    if isinstance(data, list):
        print("\n".join(_line(st) for st in data))
    elif "id" in data:
        print(_line(data) if method == "POST" or args.words[0] != "status" else json.dumps(data, indent=2,
                                                                                          ensure_ascii=False))
    else:
        print(json.dumps(data))
    return 0
