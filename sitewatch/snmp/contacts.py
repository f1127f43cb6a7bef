"""Dry contacts: a site controller's inputs, read as canonical readings by what the site wired.

A remote-site controller (SNR-ERD, PacketFlux SiteMonitor) reports each input only as open or
closed; whether input 2 is the mains relay, the door switch or the smoke detector is the
installer's choice. The profile says how the device reports open and closed (``contacts:``);
the site's SNMP target says what each input means and at which level it alarms::

    snmp:
      - host: 10.20.0.5
        credential: field
        profiles: [snr-erd]
        inputs:
          2: {means: mains, alarm_when: open}     # relay held in by mains: opens when it fails
          3: door                                 # alarm_when: the meaning's default (open)
          4: {means: alarm, name: high_temperature, alarm_when: closed}

``wire`` turns the contacts into ordinary scalars of the profile, so the compiled mapping, its
precedence and its caches stay as they are. A target that gives ``inputs`` gives the whole
wiring: inputs it does not list mean nothing (the profile's defaults apply only to a target
without ``inputs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sitewatch.core.contacts import MEANINGS, ContactLevel, Meaning
from sitewatch.core.errors import ProfileError
from sitewatch.snmp.profile_schema import ContactSpec, Profile, ScalarSpec

__all__ = ["MEANINGS", "ContactLevel", "InputLike", "Meaning", "Wiring", "wire", "wiring_of"]

@dataclass(frozen=True, slots=True, kw_only=True)
class Wiring:
    """What one input of a target means at this site."""

    input: int
    means: str
    alarm_when: ContactLevel
    name: str = ""  #: the alarm's name, for ``means: alarm``


class InputLike(Protocol):
    """One input as a site's configuration gives it (``config.schema.InputSpec``)."""

    @property
    def means(self) -> str: ...
    @property
    def alarm_when(self) -> ContactLevel | None: ...
    @property
    def name(self) -> str | None: ...


def wiring_of(inputs: Mapping[int, InputLike]) -> tuple[Wiring, ...] | None:
    """A target's ``inputs`` by number (alarm_when None: the meaning's default); None for none."""
    if not inputs:
        return None
    return tuple(Wiring(input=n, means=x.means, alarm_when=x.alarm_when or MEANINGS[x.means].default_alarm_when,
                        name=x.name or "")
                 for n, x in sorted(inputs.items()))


def _default(c: ContactSpec) -> Wiring | None:
    if c.means is None:
        return None
    return Wiring(input=c.input, means=c.means, alarm_when=c.alarm_when or MEANINGS[c.means].default_alarm_when,
                  name=c.name or "")


def _scalar(c: ContactSpec, w: Wiring) -> ScalarSpec:
    m = MEANINGS[w.means]
    enum: dict[str, bool | float | str | None] = {
        raw: (m.alarm_value if level == w.alarm_when else not m.alarm_value) for raw, level in c.states.items()}
    return ScalarSpec(oid=c.oid, reading=m.reading, type="enum", enum=enum,
                      labels={"alarm": w.name} if m.named else {}, info=c.info)


_wired: dict[tuple[int, tuple[Wiring, ...] | None], tuple[Profile, Profile]] = {}


def wire(profile: Profile, wiring: tuple[Wiring, ...] | None) -> Profile:
    """``profile`` with its contacts read as ``wiring`` says (None: the profile's defaults).

    Returns ``profile`` itself when it has no contacts. The result is cached (the compiled
    mapping is cached by profile identity, and many sites are wired alike)."""
    if not profile.contacts:
        return profile
    key = (id(profile), wiring)
    hit = _wired.get(key)
    if hit is not None and hit[0] is profile:
        return hit[1]
    bad = [c.means for c in profile.contacts if c.means is not None and c.means not in MEANINGS]
    bad += [w.means for w in wiring or () if w.means not in MEANINGS]
    if bad:
        raise ProfileError(f"profile {profile.name}: contacts: unknown meaning {bad[0]!r} "
                           f"(one of {', '.join(MEANINGS)})")
    by_input = ({w.input: w for w in wiring} if wiring is not None
                else {c.input: w for c in profile.contacts if (w := _default(c)) is not None})
    scalars = tuple(_scalar(c, by_input[c.input]) for c in profile.contacts if c.input in by_input)
    wired = profile.model_copy(update={"scalars": (*profile.scalars, *scalars), "contacts": ()})
    if len(_wired) >= 1024:
        _wired.clear()
    _wired[key] = (profile, wired)
    return wired
