# Every target bootstraps its own environment: only python3 and make are needed.
# uv (pinned) is installed into .tools/, then `uv sync --frozen` builds .venv/ from uv.lock:
# `make demo` syncs the package and its runtime dependencies only (setup); the checks, tests
# and benchmarks sync every dependency group too (setup-dev: dev, bench, engines).
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# One stamp per selection, so `make demo` after `make check` (or the other way round)
# installs or removes nothing: the demo's sync is --inexact and leaves the groups in place.
STAMP := $(VENV)/.synced-runtime-$(UV_VERSION)
DEV_STAMP := $(VENV)/.synced-dev-$(UV_VERSION)
PYTEST_ARGS ?=
# What `make check` leaves out: see the markers in pyproject.toml.
QUICK_MARKERS := not slow and not browser
DEMO_ARGS ?=
BENCH_ARGS ?=
# pyspark 4 (the Spark tests) needs Java 17 or newer.
JAVA ?= java
JAVA_MIN := 17

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup setup-dev browser java demo check test bench notebooks lint typecheck pytest format clean

setup: $(STAMP)

setup-dev: $(DEV_STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The runtime only (what `pip install postpress-frames` gives), for the demo.
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet --no-default-groups --inexact
	@touch $@

# Every dependency group: the linters, pytest, DuckDB, the bench's dlt and pandas, pyspark.
$(DEV_STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet --all-groups
	@touch $@

# The report test opens the HTML report in Debian's headless Chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the report test"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The Spark tests (marker `spark`) start a JVM: Debian's headless JRE when there is no Java
# $(JAVA_MIN)+ (slim images lack the man folder the JRE's postinst links into).
java:
	@major() { $(JAVA) -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1; }; \
	if [ "$$(major)" -ge $(JAVA_MIN) ] 2>/dev/null; then exit 0; fi; \
	echo "installing Debian's headless Java runtime for the Spark tests"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO mkdir -p /usr/share/man/man1 && \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; \
	[ "$$(major)" -ge $(JAVA_MIN) ] 2>/dev/null || { \
		echo "the Spark tests need Java $(JAVA_MIN)+; '$(JAVA)' is: $$($(JAVA) -version 2>&1 | head -n 1)" >&2; \
		exit 1; }

demo: setup
	$(BIN)/postpress-frames demo $(DEMO_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup-dev
	$(BIN)/mypy

pytest: setup-dev browser java
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick loop (a few minutes): lint, types, doctests and every test not marked slow or
# browser. It needs neither apt-get, Chromium nor Java.
check: lint typecheck
	$(BIN)/python -m pytest -m "$(QUICK_MARKERS)" $(PYTEST_ARGS)

# Everything, as .ci/run does: lint, types, doctests, every test (slow, browser and spark
# ones too); installs Chromium and a Java runtime with apt-get where they are missing.
test: lint typecheck pytest

# The benchmark suite (bench/): prints one table and records it in bench/RESULTS.md.
bench: setup-dev
	$(BIN)/python bench/run.py --write-results $(BENCH_ARGS)

# The notebooks: built from notebooks/build_notebooks.py, run, and saved with their outputs
# (tests/test_notebooks.py checks that the committed outputs are current).
notebooks: setup-dev
	$(BIN)/python notebooks/build_notebooks.py --execute

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS) demo-output .pytest_cache .mypy_cache .ruff_cache
