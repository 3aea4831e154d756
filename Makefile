# Two commands on a fresh machine with only Python:  make demo   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := crawler scheduler storage

.PHONY: demo test lint bench clean install-check screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# a current pip: older ones warn that lxml lacks the extra html_clean (names not normalised)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/peacewatch demo

lint: $(STAMP)
	$(BIN)/ruff check $(PACKAGES) tests benchmarks
	$(BIN)/ruff format --check $(PACKAGES) tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# The README's pictures of the web view, taken by the browser test (needs Chromium).
screenshots: $(STAMP)
	mkdir -p docs/screenshots
	PEACEWATCH_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/e2e/test_ui.py -k screenshots

# Build the wheel, install it in a fresh venv outside the checkout, run it from elsewhere.
install-check:
	bash .ci/install-check

bench: $(STAMP)
	$(BIN)/python -m benchmarks.crawl --articles 2000 --outlets 10 --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.extraction --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.analysis --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.accuracy --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.diff --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.daemon --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.lemmas --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.store_rate --write BENCHMARKS.md
	$(BIN)/python -m benchmarks.scrapyd_rate --articles 600 --repeat 3 --write BENCHMARKS.md

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
