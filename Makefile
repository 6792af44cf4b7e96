# Two commands for a fresh clone:  `make run`  and  `make test`  (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
VE := $(VENV)/bin/vehicle-enforce
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-all install lint pytest browser-deps services bench-smoke clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## make run: set up, migrate the embedded SQLite default, load the demo data once, serve on :5000
## (`serve` also runs the background job worker, `vehicle-enforce worker`, beside gunicorn).
run: install
	$(VE) db upgrade
	$(VE) demo load
	@echo "serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/docs)"
	$(VE) serve --host $(HOST) --port $(PORT)

## make test: set up, lint, type-check, then the suite: every test on PostgreSQL, and on SQLite the set that
## covers what the embedded default ships (SQLITE_SET and @pytest.mark.sqlite in tests/conftest.py).
## make test-all: the same with every database test on both; run it before calling an issue resolved.
test: install browser-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	VE_TEST_SQLITE=marked $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-all: install browser-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	VE_TEST_SQLITE=all $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

browser-deps:
	@bash scripts/ensure-browser.sh

services:
	@bash scripts/ensure-services.sh

bench-smoke: install
	$(PY) -m pytest -p no:cacheprovider tests/test_benchmarks_smoke.py

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
