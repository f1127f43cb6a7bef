"""``sitewatch profile test``: a newcomer's profile tried on a recording (served by snmpsim from
sitewatch itself) or a live agent; every reading printed with its raw value, exact; a reading
out of its plausible range fails the command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sitewatch.cli import main
from sitewatch.simulator.plan import load_recording
from sitewatch.simulator.snmpwalk import table_from_snmpwalk
from tests.agents import FIXTURES, SnmpsimAgent


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = main(["profile", "test", *argv])
    out = capsys.readouterr()
    return rc, out.out + out.err


def test_a_recording_reads_with_its_raw_values(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = _run(capsys, "snr-erd,if-mib", str(FIXTURES / "snr-erd.snmprec"),
                   "--inputs", "{2: {means: mains, alarm_when: open}, 3: door}")
    assert rc == 0, out
    assert "mains_ok" in out and "1.3.6.1.4.1.40418.2.6.2.1.1.3.1.2=0" in out
    assert "door_open" in out and "0 out of range" in out


def test_large_values_print_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    # sysUpTime 1576133521 ticks: 15761335.21 s, not 1.57613e+07
    rc, out = _run(capsys, "vertiv-netsure", str(FIXTURES / "netsure.snmprec"))
    assert "15761335.21" in out and "e+07" not in out, out
    assert rc == 0, out


def test_a_wrong_scale_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a newcomer's profile reading the DC bus in volts where the device counts tenths
    shipped = Path(__file__).resolve().parents[2] / "sitewatch" / "profiles" / "packetflux-sitemonitor.yaml"
    (tmp_path / "packetflux-sitemonitor.yaml").write_text(shipped.read_text().replace("scale: 0.1", "scale: 10")
                                                          .replace("range: [0, 100]", "range: [0, 100000]"))
    rc, out = _run(capsys, "packetflux-sitemonitor", str(FIXTURES / "sitemonitor.snmprec"),
                   "--profile-dir", str(tmp_path))
    assert rc == 1, out
    assert "OUT OF RANGE battery_voltage_volts: 4690 is outside 0..1000" in out


def test_a_live_agent(capsys: pytest.CaptureFixture[str]) -> None:
    with SnmpsimAgent(files=[FIXTURES / "sitemonitor.snmprec"]) as agent:
        rc, out = _run(capsys, "packetflux-sitemonitor", "--host", "127.0.0.1", "--port", str(agent.port),
                       "--community", "sitemonitor")
    assert rc == 0, out
    assert "battery_voltage_volts" in out and "46.9" in out


def test_bad_wiring_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = _run(capsys, "snr-erd", str(FIXTURES / "snr-erd.snmprec"), "--inputs", "{2: main}")
    assert rc == 2 and "unknown meaning 'main'" in out, out


@pytest.mark.skipif(shutil.which("snmpwalk") is None, reason="net-snmp snmpwalk (Debian package snmp) missing")
@pytest.mark.parametrize("options", [["-On"], ["-On", "-Oe", "-Ot"]])
def test_a_walk_of_a_new_device_is_one_command_away(tmp_path: Path, options: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # what a newcomer has: the output of snmpwalk -On against the device (here, the recorded unit)
    with SnmpsimAgent(files=[FIXTURES / "snr-erd.snmprec"]) as agent:
        walk = subprocess.run(["snmpwalk", "-v2c", "-c", "snr-erd", *options, f"127.0.0.1:{agent.port}", ".1"],
                              capture_output=True, text=True, timeout=60, check=True).stdout
    assert table_from_snmpwalk(walk) == load_recording(FIXTURES / "snr-erd.snmprec")
    (tmp_path / "erd.walk").write_text(walk)
    rc, out = _run(capsys, "snr-erd", str(tmp_path / "erd.walk"), "--inputs", "{2: mains}")
    assert rc == 0, out
    assert "mains_ok" in out and "1.3.6.1.4.1.40418.2.6.2.1.1.3.1.2=0" in out and "uptime_seconds" in out
