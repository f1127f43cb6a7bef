"""The dashboard files as Grafana will load them: valid, consistent, provisionable, up to date.

What Prometheus makes of every query is in test_prometheus.py."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import yaml

from tests.grafana.dashboards import (
    BUILTINS,
    DASHBOARDS,
    GRAFANA,
    NAMES,
    label_values_query,
    load,
    panels,
    queries,
    referenced,
    variables,
)

DS_VAR = "DS_PROMETHEUS"
DS = {"type": "prometheus", "uid": "${" + DS_VAR + "}"}


def datasources(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every ``datasource`` value anywhere in the JSON, with where it is."""
    out: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource":
                out.append((f"{path}.{k}", v))
            out.extend(datasources(v, f"{path}.{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(datasources(v, f"{path}[{i}]"))
    return out


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def test_the_committed_json_is_what_the_generator_writes() -> None:
    r = subprocess.run([sys.executable, str(GRAFANA / "generate.py"), "--check"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("name", NAMES)
def test_dashboard_is_pretty_printed_valid_json_with_stable_key_order(name: str) -> None:
    text = (DASHBOARDS / name).read_text(encoding="utf-8")
    dash = json.loads(text)
    assert text == json.dumps(dash, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert dash["uid"] == name.removesuffix(".json")
    assert dash["schemaVersion"] >= 36  # Grafana 9+: geomap, state timeline, datasource refs by uid


@pytest.mark.parametrize("name", NAMES)
def test_panel_ids_and_titles_are_unique_and_panels_do_not_overlap(name: str) -> None:
    dash = load(name)
    ids = [p["id"] for p in panels(dash)]
    assert len(ids) == len(set(ids)), ids
    titles = [p["title"] for p in panels(dash)]
    assert len(titles) == len(set(titles)), titles
    cells: dict[tuple[int, int], str] = {}
    for p in panels(dash):
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = p["title"]


@pytest.mark.parametrize("name", NAMES)
def test_every_datasource_is_the_provisioned_one_or_the_import_input(name: str) -> None:
    dash = load(name)
    found = datasources(dash)
    assert found
    for where, ds in found:
        assert ds == DS, f"{where}: {ds}"
    # a UI import asks for this input and writes the chosen uid over ${DS_PROMETHEUS} ...
    assert [(i["name"], i["type"], i["pluginId"]) for i in dash["__inputs"]] == [(DS_VAR, "datasource",
                                                                                  "prometheus")]
    # ... while a provisioned dashboard resolves it through the variable, default: the provisioned uid
    var = variables(dash)[DS_VAR]
    assert (var["type"], var["query"]) == ("datasource", "prometheus")
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())
    assert var["current"]["value"] == provisioned["datasources"][0]["uid"] == "prometheus"


@pytest.mark.parametrize("name", NAMES)
def test_every_variable_referenced_is_defined(name: str) -> None:
    dash = load(name)
    defined = set(variables(dash))
    for text in strings(dash["panels"]) + strings(dash["templating"]):
        missing = referenced(text) - defined - BUILTINS
        assert not missing, f"{sorted(missing)} used in {text!r}"
    used = {v for q in queries(dash) for v in referenced(q.expr)}
    for var in variables(dash).values():
        if var["type"] == "query":
            match, label = label_values_query(var)
            assert label in {"province", "district", "kind", "criticality", "site"}
            used |= referenced(match or "")
    assert defined - {DS_VAR} <= used, f"variables never used: {defined - {DS_VAR} - used}"


@pytest.mark.parametrize("name", NAMES)
def test_every_panel_queries_prometheus_and_every_column_it_names_exists(name: str) -> None:
    dash = load(name)
    for p in panels(dash):
        if p["type"] == "row":
            continue
        refs = [t["refId"] for t in p["targets"]]
        assert refs and len(refs) == len(set(refs)), p["title"]
        assert all(t["expr"].strip() for t in p["targets"]), p["title"]
        assert p.get("description"), f"{p['title']}: operators read the description on the wall screen"
        for tr in p.get("transformations", []):
            for option in ("excludeByName", "renameByName", "indexByName"):
                for field in tr["options"].get(option, {}):
                    if field.startswith("Value #"):
                        assert field.removeprefix("Value #") in refs, f"{p['title']}: {field} is no query"
        if p["type"] == "table" and len(refs) > 1:
            assert p["transformations"][0]["id"] == "merge", p["title"]
            assert all(t.get("format") == "table" and t.get("instant") for t in p["targets"]), p["title"]


def test_fleet_variables_are_the_site_labels_chained_by_province() -> None:
    dash = load("sitewatch-fleet.json")
    v = variables(dash)
    assert list(v) == [DS_VAR, "province", "district", "kind", "criticality"]
    for name in ("province", "district", "kind", "criticality"):
        match, label = label_values_query(v[name])
        assert label == name and match is not None and match.startswith("sitewatch_site_info")
        assert v[name]["includeAll"] and v[name]["multi"] and v[name]["allValue"] == ".*"
    assert "$province" in (label_values_query(v["district"])[0] or "")


def test_site_links_open_the_site_dashboard() -> None:
    fleet, site = load("sitewatch-fleet.json"), load("sitewatch-site.json")
    urls = [s for s in strings(fleet["panels"]) if s.startswith("/d/")]
    assert urls
    for url in urls:
        assert url.startswith(f"/d/{site['uid']}/") and "var-site=${__value.raw}" in url
    assert "site" in variables(site)


def test_geomap_reads_numeric_coordinates_from_the_site_info_labels() -> None:
    p = next(p for p in panels(load("sitewatch-fleet.json")) if p["type"] == "geomap")
    (layer,) = p["options"]["layers"]
    assert layer["location"] == {"mode": "coords", "latitude": "latitude", "longitude": "longitude"}
    convert = next(t for t in p["transformations"] if t["id"] == "convertFieldType")
    assert {(c["targetField"], c["destinationType"]) for c in convert["options"]["conversions"]} == {
        ("latitude", "number"), ("longitude", "number")}
    (t,) = p["targets"]
    assert t["format"] == "table" and t["instant"] and "sitewatch_site_info" in t["expr"]


def test_provisioning_points_grafana_at_the_dashboards_and_prometheus() -> None:
    dashboards = yaml.safe_load((GRAFANA / "provisioning/dashboards/sitewatch.yaml").read_text())
    (provider,) = dashboards["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    ds = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yaml").read_text())
    (prom,) = ds["datasources"]
    assert prom["type"] == "prometheus" and prom["url"].startswith("http://")
    # $__rate_interval is built from the datasource's scrape interval: it must be Prometheus' own
    scrape = yaml.safe_load((GRAFANA / "prometheus.yml").read_text())
    (job,) = scrape["scrape_configs"]
    assert job["job_name"] == "sitewatch" and job["static_configs"][0]["targets"] == ["127.0.0.1:9641"]
    assert prom["jsonData"]["timeInterval"] == job["scrape_interval"] == "15s"
