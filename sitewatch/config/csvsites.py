"""Sites from a CSV table, the way operators keep their site lists (exported from Excel).

One row per site, one SNMP target per row. Columns (header row required, any order; only
``id``, ``name``, ``kind`` and ``province`` are required, empty cells take the defaults):

    id, name, kind, level, province, district, commune, address, latitude, longitude,
    criticality, criticality_reasons, restricted_area, subscribers, serves, parent,
    host, port, credential, profiles, uplinks,
    power_utility, power_customer_id, power_meter, power_feeder, power_transformer,
    water_utility, water_account, water_needed,
    battery_capacity_ah, nominal_voltage, typical_load_watts, generator, team

``criticality_reasons``, ``serves``, ``profiles`` and ``uplinks`` hold several values separated by ``;``.
The file is UTF-8 (a byte-order mark, as Excel writes, is fine), so Vietnamese names work.
Issues name ``file.csv:LINE`` (the line the row starts on; the header is line 1) and the
column. A YAML config pulls tables in with ``sites_csv: [file.csv]``; ``csv_to_yaml`` turns a
table into the equivalent ``sites:`` YAML.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sitewatch.config.locations import ConfigPath, Where, did_you_mean
from sitewatch.config.schema import Site
from sitewatch.config.validation import validation_issues
from sitewatch.core.errors import ConfigError, ConfigIssue

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvRowOrigin",
    "csv_to_yaml",
    "read_sites_csv",
    "sites_from_csv",
    "sites_to_yaml",
]

COLUMNS = (
    "id", "name", "kind", "level", "province", "district", "commune", "address",
    "latitude", "longitude", "criticality", "criticality_reasons", "restricted_area", "subscribers", "serves",
    "parent", "host", "port", "credential", "profiles", "uplinks",
    "power_utility", "power_customer_id", "power_meter", "power_feeder", "power_transformer",
    "water_utility", "water_account", "water_needed",
    "battery_capacity_ah", "nominal_voltage", "typical_load_watts", "generator", "team",
)  # fmt: skip
REQUIRED_COLUMNS = ("id", "name", "kind", "province")

_PLAIN = (
    "id", "name", "kind", "level", "province", "district", "commune", "address", "latitude",
    "longitude", "criticality", "restricted_area", "subscribers", "parent", "team",
)  # fmt: skip
_LISTS = ("criticality_reasons", "serves", "uplinks")
#: nested sections: ``power_utility`` → ``power.utility``
_SNMP = ("host", "port", "credential", "profiles")
_BACKUP = ("battery_capacity_ah", "nominal_voltage", "typical_load_watts", "generator")
_PREFIXED = {
    "power": ("utility", "customer_id", "meter", "feeder", "transformer"),
    "water": ("utility", "account", "needed"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvRowOrigin:
    """A site read from line ``row`` of a CSV file."""

    file: str
    row: int

    def locate(self, rel: ConfigPath) -> Where:
        return Where(file=self.file, line=self.row, field=_column(rel))


def _column(rel: ConfigPath) -> str:
    """The CSV column holding the Site field at ``rel``."""
    if not rel:
        return ""
    head = str(rel[0])
    if head == "snmp":
        return str(rel[2]) if len(rel) > 2 else "host"
    if head == "backup":
        return str(rel[1]) if len(rel) > 1 else "battery_capacity_ah"
    if head in _PREFIXED:
        return f"{head}_{rel[1] if len(rel) > 1 else 'utility'}"
    return head


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _row_data(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row → the nested mapping a YAML site would be (empty cells omitted)."""
    data: dict[str, Any] = {k: row[k] for k in _PLAIN if row.get(k)}
    data |= {k: _split(row[k]) for k in _LISTS if row.get(k)}
    snmp: dict[str, Any] = {k: row[k] for k in _SNMP if row.get(k)}
    if snmp:
        if "profiles" in snmp:
            snmp["profiles"] = _split(snmp["profiles"])
        data["snmp"] = [snmp]
    for section, fields in _PREFIXED.items():
        values = {f: row[f"{section}_{f}"] for f in fields if row.get(f"{section}_{f}")}
        if values:
            data[section] = values
    backup = {k: row[k] for k in _BACKUP if row.get(k)}
    if backup:
        data["backup"] = backup
    return data


def read_sites_csv(path: Path, display: str) -> tuple[list[tuple[Site, CsvRowOrigin]], list[ConfigIssue]]:
    """Every valid row as a ``Site`` with its origin, and an issue for every problem found."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return _read(csv.reader(f), display)
    except OSError as e:
        return [], [ConfigIssue(display, None, "", f"cannot read: {e.strerror or e}")]
    except UnicodeDecodeError as e:
        return [], [ConfigIssue(display, None, "", f"not UTF-8 text: {e.reason} at byte {e.start}")]
    except csv.Error as e:
        return [], [ConfigIssue(display, None, "", f"not a valid CSV file: {e}")]


def _read(reader: Any, display: str) -> tuple[list[tuple[Site, CsvRowOrigin]], list[ConfigIssue]]:
    header = [h.strip() for h in next(reader, [])]
    issues = [
        ConfigIssue(display, 1, name, f"unknown column{did_you_mean(name, COLUMNS)}")
        for name in header
        if name not in COLUMNS
    ]
    issues += [
        ConfigIssue(display, 1, name, "required column missing") for name in REQUIRED_COLUMNS if name not in header
    ]
    if issues:
        return [], issues
    sites: list[tuple[Site, CsvRowOrigin]] = []
    end_of_previous = reader.line_num
    for cells in reader:
        origin = CsvRowOrigin(file=display, row=end_of_previous + 1)
        end_of_previous = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            issues.append(origin.locate(()).issue(f"{len(cells)} cells where the header has {len(header)} columns"))
            continue
        data = _row_data({k: c.strip() for k, c in zip(header, cells, strict=True)})
        try:
            sites.append((Site.model_validate(data), origin))
        except ValidationError as e:
            issues += validation_issues(e, data, origin.locate, model=Site)
    return sites, issues


def sites_from_csv(path: str | Path) -> list[Site]:
    """The sites of one CSV table. Raises ``ConfigError`` listing every bad row and column.
    References (parent, credential, ...) are checked when the table is part of a config."""
    path = Path(path)
    sites, issues = read_sites_csv(path, str(path))
    if issues:
        raise ConfigError(issues)
    return [site for site, _ in sites]


def csv_to_yaml(path: str | Path) -> str:
    """The ``sites:`` YAML equivalent to a CSV table (defaults left out)."""
    return sites_to_yaml(sites_from_csv(path))


def sites_to_yaml(sites: Sequence[Site]) -> str:
    """``sites:`` YAML for ``sites`` (defaults left out)."""
    data = {"sites": [s.model_dump(mode="json", exclude_defaults=True) for s in sites]}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
