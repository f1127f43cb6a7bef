"""Grafana JSON building blocks for the sitewatch dashboards: targets, panels, variables, layout.

Why: both dashboards share one datasource reference, one label filter, the same units and the
same stat/table shapes; building them from these few functions keeps ~50 panels consistent.
``generate.py`` says *what* is on the dashboards; this module says how Grafana wants it written.

Every panel and template variable uses the datasource ``${DS_PROMETHEUS}``. That string works
both ways a dashboard reaches Grafana: provisioned from a file, it resolves through the template
variable of that name (a datasource picker, default uid ``prometheus``); imported through the UI,
Grafana asks for the ``DS_PROMETHEUS`` input declared in ``__inputs`` and writes the chosen uid in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "DATASOURCE",
    "DS_VAR",
    "PROVISIONED_UID",
    "Grid",
    "bargauge",
    "color_override",
    "column",
    "dashboard",
    "datasource_variable",
    "geomap",
    "label_variable",
    "mappings",
    "row",
    "site_link_override",
    "stat",
    "state_timeline",
    "table",
    "target",
    "targets",
    "thresholds",
    "timeseries",
]

Json = dict[str, Any]

DS_VAR = "DS_PROMETHEUS"
DATASOURCE: Json = {"type": "prometheus", "uid": "${" + DS_VAR + "}"}
#: the uid of the datasource provisioned by grafana/provisioning/datasources/prometheus.yaml
PROVISIONED_UID = "prometheus"


def target(expr: str, legend: str = "", *, ref: str = "A", instant: bool = False, table: bool = False) -> Json:
    """One Prometheus query. ``instant`` for stats and tables; ``table`` gives one column per label."""
    t: Json = {"datasource": DATASOURCE, "expr": expr, "refId": ref}
    if legend:
        t["legendFormat"] = legend
    if instant:
        t["instant"] = True
        t["range"] = False
    else:
        t["range"] = True
    if table:
        t["format"] = "table"
    return t


def targets(*queries: tuple[str, str], instant: bool = False, table: bool = False) -> list[Json]:
    """Several queries, refIds A, B, C... in order (tables name their value columns ``Value #A``...)."""
    return [target(expr, legend, ref=chr(ord("A") + i), instant=instant, table=table)
            for i, (expr, legend) in enumerate(queries)]


def thresholds(*steps: tuple[float | None, str]) -> Json:
    """Absolute thresholds; the first step's value is ``None`` (from minus infinity)."""
    return {"mode": "absolute", "steps": [{"color": color, "value": value} for value, color in steps]}


def mappings(values: dict[str, tuple[str, str]] | None = None,
             ranges: Sequence[tuple[float, float, str, str]] = ()) -> list[Json]:
    """Value mappings: exact values ``{"0": (text, color)}`` and ranges ``(from, to, text, color)``."""
    out: list[Json] = []
    if values:
        out.append({"type": "value", "options": {
            k: {"index": i, "text": text, "color": color} for i, (k, (text, color)) in enumerate(values.items())}})
    for low, high, text, color in ranges:
        out.append({"type": "range", "options": {"from": low, "to": high,
                                                 "result": {"text": text, "color": color}}})
    return out


def _field(unit: str = "", *, steps: Json | None = None, maps: list[Json] | None = None,
           color: str = "thresholds", decimals: int | None = None, min_: float | None = None,
           max_: float | None = None, custom: Json | None = None, no_value: str = "") -> Json:
    defaults: Json = {"color": {"mode": color}, "mappings": maps or [],
                      "thresholds": steps or thresholds((None, "green"))}
    if no_value:
        defaults["noValue"] = no_value
    if unit:
        defaults["unit"] = unit
    if decimals is not None:
        defaults["decimals"] = decimals
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if custom:
        defaults["custom"] = custom
    return defaults


def _panel(kind: str, title: str, description: str, w: int, h: int, queries: list[Json], field: Json,
           options: Json, overrides: Sequence[Json] = (), transformations: Sequence[Json] = ()) -> Json:
    p: Json = {"type": kind, "title": title, "description": description, "datasource": DATASOURCE,
               "gridPos": {"w": w, "h": h}, "targets": queries,
               "fieldConfig": {"defaults": field, "overrides": list(overrides)}, "options": options}
    if transformations:
        p["transformations"] = list(transformations)
    return p


def stat(title: str, description: str, queries: list[Json], *, w: int = 4, h: int = 4, unit: str = "",
         steps: Json | None = None, maps: list[Json] | None = None, text_mode: str = "value",
         decimals: int | None = None, overrides: Sequence[Json] = (), no_value: str = "") -> Json:
    """A big number for the wall: the last value, background coloured by thresholds; ``no_value``
    is shown when the query returns nothing (instead of "No data")."""
    for q in queries:
        q.update(instant=True, range=False)
    options = {"colorMode": "background", "graphMode": "none", "justifyMode": "center",
               "orientation": "auto", "textMode": text_mode, "wideLayout": True,
               "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return _panel("stat", title, description, w, h, queries,
                  _field(unit, steps=steps, maps=maps, decimals=decimals, no_value=no_value), options, overrides)


def bargauge(title: str, description: str, queries: list[Json], *, w: int = 12, h: int = 8,
             steps: Json | None = None) -> Json:
    """Horizontal bars, one per series, for counts by category (incidents by condition)."""
    for q in queries:
        q.update(instant=True, range=False)
    options = {"displayMode": "basic", "orientation": "horizontal", "showUnfilled": True, "valueMode": "color",
               "namePlacement": "left", "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300, "sizing": "auto",
               "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return _panel("bargauge", title, description, w, h, queries, _field(steps=steps, min_=0), options)


def timeseries(title: str, description: str, queries: list[Json], *, w: int = 12, h: int = 8, unit: str = "",
               min_: float | None = None, max_: float | None = None, steps: Json | None = None,
               draw: str = "line", legend: str = "list", overrides: Sequence[Json] = ()) -> Json:
    """Lines over the dashboard's time range; ``draw="steps"`` for 0/1 and counts."""
    custom: Json = {"drawStyle": "line", "lineWidth": 2, "fillOpacity": 10, "showPoints": "never",
                    "spanNulls": False, "lineInterpolation": "stepAfter" if draw == "steps" else "linear"}
    options = {"legend": {"displayMode": legend, "placement": "bottom", "showLegend": True,
                          "calcs": ["lastNotNull"] if legend == "table" else []},
               "tooltip": {"mode": "multi", "sort": "desc"}}
    return _panel("timeseries", title, description, w, h, queries,
                  _field(unit, steps=steps, color="palette-classic", min_=min_, max_=max_, custom=custom),
                  options, overrides)


def state_timeline(title: str, description: str, queries: list[Json], *, maps: list[Json], w: int = 12,
                   h: int = 8, overrides: Sequence[Json] = ()) -> Json:
    """0/1 series as coloured bands (links up/down, rectifier failed...)."""
    options = {"alignValue": "left", "mergeValues": True, "rowHeight": 0.8, "showValue": "never",
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
               "tooltip": {"mode": "single", "sort": "none"}}
    return _panel("state-timeline", title, description, w, h, queries,
                  _field(maps=maps, custom={"fillOpacity": 80, "lineWidth": 0}), options, overrides)


def table(title: str, description: str, queries: list[Json], *, columns: dict[str, str], hide: Iterable[str],
          sort_by: str | None = None, w: int = 12, h: int = 10, overrides: Sequence[Json] = (),
          link_site: bool = False) -> Json:
    """Instant queries merged into one table row per site: ``columns`` renames (and orders) the
    fields kept, ``hide`` lists the ones dropped; sorted ascending by ``sort_by``."""
    for q in queries:
        q.update(instant=True, range=False, format="table")
    transformations: list[Json] = []
    if len(queries) > 1:
        transformations.append({"id": "merge", "options": {}})
    transformations.append({"id": "organize", "options": {
        "excludeByName": {name: True for name in sorted({"Time", "__name__", *hide})},
        "indexByName": {name: i for i, name in enumerate(columns)},
        "renameByName": dict(columns)}})
    if sort_by is not None:
        transformations.append({"id": "sortBy", "options": {"fields": {}, "sort": [{"field": sort_by,
                                                                                     "desc": False}]}})
    options: Json = {"cellHeight": "sm", "showHeader": True,
                     "footer": {"show": False, "reducer": ["sum"], "fields": "", "countRows": False}}
    if sort_by is not None:
        options["sortBy"] = [{"displayName": sort_by, "desc": False}]
    extra = [site_link_override(columns.get("site", "site"))] if link_site else []
    return _panel("table", title, description, w, h, queries,
                  _field(custom={"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False}),
                  options, [*overrides, *extra], transformations)


def column(name: str, unit: str = "", *, steps: Json | None = None, maps: list[Json] | None = None,
           background: bool = False, decimals: int | None = None) -> Json:
    """An override by displayed name (a table column, a series): unit, thresholds, mappings, coloured cell."""
    props: list[Json] = []
    if unit:
        props.append({"id": "unit", "value": unit})
    if decimals is not None:
        props.append({"id": "decimals", "value": decimals})
    if steps is not None:
        props.append({"id": "thresholds", "value": steps})
    if maps is not None:
        props.append({"id": "mappings", "value": maps})
    if background:
        props.append({"id": "custom.cellOptions", "value": {"type": "color-background", "mode": "basic"}})
    return {"matcher": {"id": "byName", "options": name}, "properties": props}


def color_override(name: str, color: str) -> Json:
    """A fixed colour for the series or field displayed as ``name``."""
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}]}


def site_link_override(field: str) -> Json:
    """Clicking a site opens the site dashboard for it, same time range."""
    return {"matcher": {"id": "byName", "options": field}, "properties": [{"id": "links", "value": [{
        "title": "Open site ${__value.text} / Xem chi tiết trạm",
        "url": "/d/sitewatch-site/sitewatch-site?var-site=${__value.raw}&${__url_time_range}"}]}]}


def geomap(title: str, description: str, query: Json, *, steps: Json, maps: list[Json], w: int = 12,
           h: int = 14, hide: Iterable[str] = ()) -> Json:
    """Sites as markers at their ``latitude``/``longitude`` labels, coloured by the query's value.

    Prometheus labels arrive as strings; ``convertFieldType`` turns the two coordinate columns into
    numbers before the markers layer reads them (coords mode, fields named explicitly)."""
    query.update(instant=True, range=False, format="table")
    layer = {"type": "markers", "name": "Sites", "tooltip": True,
             "location": {"mode": "coords", "latitude": "latitude", "longitude": "longitude"},
             "config": {"showLegend": True, "style": {
                 "color": {"field": "Value", "fixed": "green"}, "opacity": 0.9,
                 "size": {"fixed": 9, "min": 4, "max": 15},
                 "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
                 "symbolAlign": {"horizontal": "center", "vertical": "center"},
                 "rotation": {"fixed": 0, "min": -360, "max": 360, "mode": "mod"},
                 "textConfig": {"fontSize": 12, "offsetX": 0, "offsetY": 0, "textAlign": "center",
                                "textBaseline": "middle"}}}}
    options = {"basemap": {"type": "default", "name": "Basemap", "config": {}},
               "controls": {"mouseWheelZoom": True, "showAttribution": True, "showDebug": False,
                            "showMeasure": False, "showScale": True, "showZoom": True},
               "layers": [layer], "tooltip": {"mode": "details"},
               # fit to the sites shown (a province, or the whole country), never closer than zoom 12
               "view": {"id": "fit", "allLayers": True, "lat": 14.0, "lon": 108.0, "zoom": 12, "padding": 10}}
    transformations = [
        {"id": "convertFieldType", "options": {"fields": {}, "conversions": [
            {"targetField": "latitude", "destinationType": "number"},
            {"targetField": "longitude", "destinationType": "number"}]}},
        {"id": "organize", "options": {"excludeByName": {name: True for name in sorted({"Time", "__name__", *hide})},
                                       "indexByName": {}, "renameByName": {}}},
    ]
    return _panel("geomap", title, description, w, h, [query], _field(steps=steps, maps=maps), options,
                  transformations=transformations)


def row(title: str) -> Json:
    """A section header spanning the width (never collapsed: a wall screen shows everything)."""
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "gridPos": {"w": 24, "h": 1}}


class Grid:
    """Places panels left to right, wrapping at Grafana's 24 columns, and numbers them."""

    WIDTH = 24

    def __init__(self) -> None:
        self.panels: list[Json] = []
        self._x = self._y = self._line = 0

    def add(self, *panels: Json) -> None:
        for p in panels:
            pos = p["gridPos"]
            if p["type"] == "row" or self._x + pos["w"] > self.WIDTH:
                self._y += self._line
                self._x = self._line = 0
            pos.update(x=self._x, y=self._y)
            p["id"] = len(self.panels) + 1
            self.panels.append(p)
            self._x += pos["w"]
            self._line = max(self._line, pos["h"])
            if p["type"] == "row":
                self._y += pos["h"]
                self._x = self._line = 0


def datasource_variable() -> Json:
    """The datasource picker; its default is the provisioned uid (any Prometheus works)."""
    return {"name": DS_VAR, "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {"selected": False, "text": "Prometheus", "value": PROVISIONED_UID},
            "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1, "regex": "",
            "skipUrlSync": False}


def label_variable(name: str, label: str, query: str, *, all_: bool = True, multi: bool = True,
                   description: str = "") -> Json:
    """A variable filled from ``label_values(...)``; "All" is the regex ``.*``."""
    v: Json = {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
               "definition": query, "query": {"query": query, "refId": "StandardVariableQuery"},
               "description": description, "hide": 0, "includeAll": all_, "multi": multi, "options": [],
               "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1}
    if all_:
        v["allValue"] = ".*"
        v["current"] = {"selected": True, "text": ["All"], "value": ["$__all"]}
    else:
        v["current"] = {}
    return v


def dashboard(*, uid: str, title: str, description: str, grid: Grid, variables: list[Json], refresh: str,
              time_from: str, panel_types: Iterable[str]) -> Json:
    """The whole dashboard, with the ``__inputs``/``__requires`` a UI import reads."""
    requires = [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
                {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}]
    requires += [{"type": "panel", "id": t, "name": t, "version": ""} for t in sorted(set(panel_types))]
    return {
        "__inputs": [{"name": DS_VAR, "label": "Prometheus", "description": "Prometheus scraping sitewatch",
                      "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "__requires": requires,
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["sitewatch", "noc"],
        "editable": True,
        "graphTooltip": 1,
        "refresh": refresh,
        "schemaVersion": 39,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": "Asia/Ho_Chi_Minh",
        "weekStart": "monday",
        "version": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "links": [{"type": "dashboards", "tags": ["sitewatch"], "title": "sitewatch", "asDropdown": False,
                   "includeVars": False, "keepTime": True, "icon": "external link", "targetBlank": False,
                   "tooltip": "", "url": ""}],
        # Grafana adds its built-in annotation query itself; none of ours
        "annotations": {"list": []},
        "templating": {"list": variables},
        "panels": grid.panels,
    }
