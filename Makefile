# sitewatch: the two commands a newcomer needs are `make demo` and `make test`.
VENV ?= .venv
PY   := $(VENV)/bin/python
APT_PACKAGES := snmpd snmp prometheus prometheus-alertmanager systemd

.PHONY: demo test lint typecheck unit system-deps bench docs clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

## demo: install, start the simulated Gia Lai fleet and the daemon (metrics on http://127.0.0.1:9641/metrics)
demo: $(VENV)/.installed
	$(VENV)/bin/sitewatch demo --config config/gialai

## system-deps: net-snmp agent and tools, promtool and systemd-analyze, which the tests run for real
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## lint: ruff, and the layering contracts of sitewatch/ (import-linter, [tool.importlinter] in pyproject.toml)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check sitewatch tests bench grafana
	$(VENV)/bin/lint-imports

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy sitewatch

unit: $(VENV)/.installed
	$(VENV)/bin/pytest -q

## test: install everything, lint, type-check and run the whole test suite
test: system-deps lint typecheck unit

## docs: regenerate the configuration reference (docs/configuration.md) from the models
docs: $(VENV)/.installed
	$(PY) -m sitewatch.config.reference > docs/configuration.md

## bench: the benchmarks in bench/ (see README)
bench: $(VENV)/.installed
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
