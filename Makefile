# pdstudy: the two commands of the quick start are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: demo test test-fast lint bench clean chromium screenshot

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,cluster]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pdstudy demo --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy

# headless Chromium renders the HTML report in tests/test_report.py; never fails the build
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) || echo "chromium not installed: report rendering test will skip"

# `-m 'not slow or slow'` overrides pyproject's default `-m 'not slow'`: make test runs the
# slow statistical checks too (as CI does) and lists the 15 slowest; make test-fast leaves them out.
# Both run the tests in JOBS processes (pytest-xdist), each test file whole in one of them
# (its module fixtures are made once), the files with slow tests handed out first
# (tests/conftest.py orders them; --no-loadscope-reorder keeps that order)
JOBS ?= 2
PARALLEL := -n $(JOBS) --dist loadfile --no-loadscope-reorder

test: lint chromium
	$(BIN)/pytest -q $(PARALLEL) -m 'not slow or slow' --durations=15

test-fast: lint
	$(BIN)/pytest -q $(PARALLEL)

# the README's picture of the report headline (needs chromium: make chromium)
screenshot: demo
	$(BIN)/python tools/screenshot.py $(OUT)/report.html docs/img/report_headline.png

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_fitting.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
