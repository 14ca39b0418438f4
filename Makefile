# The two commands a newcomer types: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: running needs officehours and what it imports; testing adds the test tools.
RUN_STAMP := $(VENV)/.run-stamp
STAMP := $(VENV)/.test-stamp

.PHONY: run test lint typecheck pytest bench bench-scale deps clean schema screenshots

run: $(RUN_STAMP)
	$(BIN)/officehours serve --demo-if-empty

test: deps lint typecheck pytest

$(RUN_STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

deps: $(STAMP)
	scripts/ensure-debian-packages scripts/debian-packages.txt

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check officehours booking_web caldav_plugin ics mailer tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: deps $(if $(wildcard package.json),node_modules/.installed)
	$(BIN)/pytest

# sql/schema.sql: the whole schema as pg_dump prints it from a database migrated from empty.
schema: $(STAMP)
	$(BIN)/python -m officehours.schema > sql/schema.sql.new
	mv sql/schema.sql.new sql/schema.sql

# docs/screenshots: the README's pictures, taken by the browser tests (tests/e2e/test_*browser.py)
# when OFFICEHOURS_SCREENSHOTS names a folder; an ordinary test run never rewrites them.
screenshots: deps $(if $(wildcard package.json),node_modules/.installed)
	OFFICEHOURS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q $(wildcard tests/e2e/test_*browser.py)

# bench/scale*.py are the full-size benchmark (bench-scale) and its modules, not one of these.
bench: $(STAMP)
	for b in $(filter-out bench/scale%,$(wildcard bench/*.py)); do $(BIN)/python $$b || exit 1; done

# 10,000 coaches, a million clients, 2.4 million calls against 10 coaches, on a throwaway
# embedded PostgreSQL under /tmp (DATABASE_URL: a server of your own). Takes about 45 minutes
# on 2 cores and 5 GB of disk: see the README's Benchmarks section.
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py $(if $(DATABASE_URL),--database-url "$(DATABASE_URL)")

clean:
	rm -rf $(VENV) build *.egg-info

# Browser-side test tools (axe-core, the Nu HTML checker) come from npm when package.json lists them.
node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch $@
