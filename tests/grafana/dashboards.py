"""Reading the dashboards the way Grafana does: panels (rows flattened), their queries, template
variables, and variable substitution into PromQL (``$var``, ``${var}``, ``[[var]]``; a multi-value
or "All" variable becomes a regex, as Grafana's Prometheus datasource formats it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
NAMES = ("sitewatch-fleet.json", "sitewatch-site.json")

#: Grafana's own variables (not defined in a dashboard)
BUILTINS = frozenset({"__interval", "__interval_ms", "__rate_interval", "__range", "__range_s", "__range_ms",
                      "__value", "__data", "__url_time_range", "__field", "__series", "__all", "__from", "__to",
                      "__dashboard", "__org", "__user", "timeFilter"})
#: ``$name``, ``${name}``, ``${name:format}``, ``[[name]]``
VAR_RE = re.compile(r"\$(\w+)|\$\{(\w+)(?:[.:][^}]*)?\}|\[\[(\w+)\]\]")

Json = dict[str, Any]


def load(name: str) -> Json:
    return json.loads((DASHBOARDS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def panels(dash: Json) -> Iterator[Json]:
    """Every panel, including those inside (collapsed) rows."""
    for p in dash.get("panels", []):
        yield p
        yield from p.get("panels", [])


def panel(dash: Json, title: str) -> Json:
    found = [p for p in panels(dash) if p.get("title") == title]
    assert len(found) == 1, f"{dash['uid']}: {len(found)} panels titled {title!r}"
    return found[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    dashboard: str
    panel: str
    ref: str
    expr: str
    instant: bool

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref}"


def queries(dash: Json) -> list[Query]:
    return [Query(dashboard=dash["uid"], panel=p["title"], ref=t["refId"], expr=t["expr"],
                  instant=bool(t.get("instant")) and not t.get("range"))
            for p in panels(dash) for t in p.get("targets", [])]


def variables(dash: Json) -> dict[str, Json]:
    return {v["name"]: v for v in dash["templating"]["list"]}


def referenced(text: str) -> set[str]:
    """Variable names a string refers to."""
    return {next(g for g in m.groups() if g) for m in VAR_RE.finditer(text)}


def regex_escape(value: str) -> str:
    """As Grafana escapes one value of a multi-value variable inside a PromQL string literal."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\\\1", value)


def substitute(expr: str, values: Mapping[str, str | Sequence[str]], dash: Json) -> str:
    """``expr`` with every variable replaced; a list means several values selected, ``"$__all"`` All."""
    defined = variables(dash)

    def one(m: re.Match[str]) -> str:
        name = next(g for g in m.groups() if g)
        if name not in values:
            raise KeyError(f"no value given for ${name} in {expr!r}")
        v = values[name]
        var = defined.get(name, {})
        if v == "$__all":
            return str(var["allValue"])
        if isinstance(v, str):
            return regex_escape(v) if var.get("multi") or var.get("includeAll") else v
        escaped = [regex_escape(x) for x in v]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"

    return VAR_RE.sub(one, expr)


LABEL_VALUES_RE = re.compile(r"^label_values\((?:(?P<match>.+),\s*)?(?P<label>\w+)\)$")


def label_values_query(var: Json) -> tuple[str | None, str]:
    """``label_values(match, label)`` of a query variable as (match, label)."""
    q = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
    m = LABEL_VALUES_RE.match(q.strip())
    assert m, f"variable {var['name']}: not a label_values() query: {q!r}"
    return m.group("match"), m.group("label")
