"""The daemon configuration for a simulated fleet (``sitewatch simulate --write-config``).

The same sites with all their fields, each with one SNMP target: 127.0.0.1, the site's port,
credential ``simulator`` (v2c) with the site's own community as an inline ``SecretRef`` value,
the profile names of what is served, and the ``inputs:`` its site monitor is wired with. The
daemon section is the input's with ``state_dir`` under the simulator's state directory; every
other section is kept as given. The file is written atomically (a waiting process never reads
half of it).
"""

from __future__ import annotations

import datetime
import enum
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr

from sitewatch.config.schema import Config, SecretRef
from sitewatch.simulator.plan import SimulatedSite

__all__ = ["CREDENTIAL", "fleet_config", "write_fleet_config"]

CREDENTIAL = "simulator"


def _plain(value: object) -> Any:
    """Configuration as YAML-ready data: only the fields that were given, secrets as given."""
    if isinstance(value, SecretRef) and value.value is None:
        # the written file lives elsewhere: an env or file reference (relative to the original
        # config) may not resolve from there, so the resolved value goes in (file mode 0600)
        given = {name: _plain(getattr(value, name)) for name in value.model_fields_set - {"env", "file"}}
        return {**given, "value": value.reveal()}  # and what else was given (a token's scopes)
    if isinstance(value, BaseModel):  # each field under the key it is written as (``for``, not ``for_``)
        return {(field.alias or name): _plain(getattr(value, name)) for name, field in type(value).model_fields.items()
                if name in value.model_fields_set and getattr(value, name) is not None}
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime.time):  # roster handoffs and restrictions: YAML has no time type
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def fleet_config(config: Config, sites: Sequence[SimulatedSite], ports: Mapping[str, int], *,
                 state_dir: Path) -> dict[str, Any]:
    """The daemon configuration as data (``profile_dirs`` made absolute: the file is elsewhere)."""
    out: dict[str, Any] = _plain(config)
    out["daemon"] = _plain(config.daemon) | {"state_dir": str(state_dir)}
    out["credentials"] = {CREDENTIAL: {"version": "2c", "community": {"value": "public"}}}
    if config.profile_dirs:
        out["profile_dirs"] = [str(Path(p).resolve()) for p in config.profile_dirs]
    by_id = {s.site.id: s for s in sites}
    written = []
    for site in config.sites:
        sim = by_id[site.id]
        entry = _plain(site)
        target = {"host": "127.0.0.1", "port": ports[site.id], "credential": CREDENTIAL,
                  "community": {"value": sim.community}, "profiles": list(sim.profiles)}
        entry["snmp"] = [target | ({"inputs": dict(sim.inputs)} if sim.inputs else {})]
        written.append(entry)
    out["sites"] = written
    return out


def write_fleet_config(path: str | Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as YAML to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.touch(mode=0o600)
    tmp.write_text("# written by 'sitewatch simulate': the simulated fleet, on 127.0.0.1\n"
                   + yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True))
    os.replace(tmp, path)
