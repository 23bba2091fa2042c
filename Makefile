# LlamaLog — `make demo` to try it, `make test` to prove it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo serve test test-sqlite test-postgres check format bench bench-smoke bench-scale browser-deps screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Debian's Chromium for the browser tests (never `playwright install`).
browser-deps:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

demo: install
	$(BIN)/llama demo

serve: install
	$(BIN)/llama migrate && $(BIN)/llama serve

check: install
	$(BIN)/ruff check app tasks tests bench tools
	$(BIN)/ruff format --check app tasks tests bench tools
	$(BIN)/mypy app tasks
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix app tasks tests bench tools
	$(BIN)/ruff format app tasks tests bench tools

# The whole suite twice: SQLite + the embedded broker, then Postgres + Redis.
test: install browser-deps check test-sqlite test-postgres

test-sqlite: install
	LLAMA_TEST_DB=sqlite $(BIN)/pytest -q -p no:cacheprovider

test-postgres: install
	LLAMA_TEST_DB=postgres $(BIN)/pytest -q -p no:cacheprovider -m "not browser"

bench: install
	$(BIN)/python -m bench.run --full

bench-smoke: install
	$(BIN)/python -m bench.run --smoke

# The partitioned log at 10M rows and the 50-admin load test (Postgres; Redis for 2 processes); not in
# CI. SCALE_SIZE=scale-2m for a 2M-row run; LOAD_CLIENTS / LOAD_SECONDS bound the load test.
bench-scale: install
	$(BIN)/python -m bench.run --scale

# The README's PNGs (docs/screenshots/) at 1280 px and 390 px, from the demo's data in a scratch database.
screenshots: install browser-deps
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
