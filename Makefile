# Every target bootstraps its own environment: only python3 and make are needed.
# uv (pinned) is installed into .tools/, then `uv sync --frozen` builds .venv/ from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced-$(UV_VERSION)
PYTEST_ARGS ?=
# What `make check` leaves out: see the markers in pyproject.toml.
QUICK_MARKERS := not slow and not browser
DEMO_ARGS ?=
BENCH_ARGS ?=

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup browser demo check test bench lint typecheck pytest format clean

setup: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $@

# The report test opens the HTML report in Debian's headless Chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the report test"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: setup
	$(BIN)/postpress-frames demo $(DEMO_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick loop (a few minutes): lint, types, doctests and every test not marked slow or
# browser. It needs neither apt-get nor Chromium.
check: lint typecheck
	$(BIN)/python -m pytest -m "$(QUICK_MARKERS)" $(PYTEST_ARGS)

# Everything, as .ci/run does: lint, types, doctests, every test (slow and browser ones too).
test: lint typecheck pytest

# The benchmark suite (bench/): prints one table and records it in bench/RESULTS.md.
bench: setup
	$(BIN)/python bench/run.py --write-results $(BENCH_ARGS)

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS) demo-output .pytest_cache .mypy_cache .ruff_cache
