# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make demo   - paper-mode preview on the bundled market snapshot (no keys, no network)
#   make test   - lint, type-check and the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: demo test lint typecheck pytest bench sync clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

sync: | $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --quiet --compile-bytecode

demo: sync
	TRADING_MODE=paper PAPER_MARKET_DATA=snapshot DATABASE_URL=$${DATABASE_URL:-sqlite:///./data/demo.db} \
		$(RUN) rebalance-bot preview

lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: sync
	$(RUN) mypy

pytest: sync
	$(RUN) pytest -p no:cacheprovider; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

test: lint typecheck pytest

bench: sync
	$(RUN) python -m bench

clean:
	rm -rf .venv .tools data/demo.db* .mypy_cache .ruff_cache .pytest_cache
