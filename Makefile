# Pilotage territorial — `make run` (dashboard on the demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WAREHOUSE := data/warehouse.duckdb
ETL_INPUTS := $(shell find data/sources data/reference etl -type f -not -name '*.pyc' 2>/dev/null)
PORT ?= 8501

.PHONY: run etl check test lint format bench template reference browser nginx office axe clean report \
	deck opendata serve bench-serving bench-updates

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Rebuilt only when missing or older than a source, a reference file or the ETL code.
$(WAREHOUSE): $(VENV)/.installed $(ETL_INPUTS)
	$(PY) -m etl build --quiet

run: $(WAREHOUSE)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# N Streamlit processes (one per core) behind nginx on http://127.0.0.1:$(SERVE_PORT)/ (docs/deployment.md).
PROCESSES ?= $(shell nproc)
SERVE_PORT ?= 8080
SERVE_HOST ?= 127.0.0.1
serve: $(WAREHOUSE) nginx
	$(PY) -m deploy.serve run --processes $(PROCESSES) --port $(SERVE_PORT) --host $(SERVE_HOST)

etl: $(VENV)/.installed
	$(PY) -m etl build

check: $(VENV)/.installed
	$(PY) -m etl check

# Browser tests need Debian's Chromium, the deployment test nginx, the deck test LibreOffice,
# the accessibility test axe-core (npm): installed here when missing.
# One pytest run, one report: a worker per core (pytest-xdist), each test module on one worker
# so that its fixtures are built once (docs/testing.md).
TEST_WORKERS ?= auto
PYTEST_ARGS ?=
test: lint browser nginx office axe
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Chromium for the browser measures, nginx for the server behind deploy/nginx.conf (Debian's).
bench: $(VENV)/.installed browser nginx
	$(PY) -m bench

# The serving section alone (1 process, 1 behind nginx, N behind nginx), merged into results.json.
bench-serving: $(VENV)/.installed browser nginx
	$(PY) -m bench --only serving

bench-updates: $(VENV)/.installed browser
	$(PY) -m bench.updates

# Rapport de commission (PDF): make report TERRITOIRE=200068666 PERIMETRE=element:P1 SORTIE=r.pdf
TERRITOIRE ?= 200068666
PERIMETRE ?= plan
report: $(WAREHOUSE)
	$(PY) -m dashboard.commission_report --territoire $(TERRITOIRE) --perimetre $(PERIMETRE) \
		$(if $(SORTIE),--sortie $(SORTIE))

template: $(VENV)/.installed
	$(PY) -m etl template --output modele_plan_territorial.xlsx

# Needs pip and npm access to the registries; rewrites data/reference/.
reference: $(VENV)/.installed
	$(PY) -m etl reference

# Playwright cannot download its own browser here: Debian's Chromium.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

nginx:
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
		(apt-get update -qq && apt-get install -y -qq nginx-light)

# LibreOffice (Debian's) renders the commission deck's slides in the tests.
office:
	command -v soffice >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-impress)

# Diaporama de commission (PowerPoint): make deck TERRITOIRE=200068666 PERIMETRE=element:P1
deck: $(WAREHOUSE)
	$(PY) -m dashboard.formats deck --territoire $(TERRITOIRE) --perimetre $(PERIMETRE) \
		$(if $(SORTIE),--sortie $(SORTIE))

# Open-data package (CSV + Parquet + datapackage.json) of a territory
opendata: $(WAREHOUSE)
	$(PY) -m dashboard.formats datapackage --territoire $(TERRITOIRE) \
		$(if $(SORTIE),--sortie $(SORTIE))

# axe-core for tests/test_accessibility.py, outside the repository (same version as the test's).
AXE_VERSION := 4.11.4
AXE_DIR ?= $(HOME)/.cache/pilotage/axe
axe:
	grep -qs '"version": "$(AXE_VERSION)"' $(AXE_DIR)/node_modules/axe-core/package.json || \
		npm install --prefix $(AXE_DIR) axe-core@$(AXE_VERSION) --silent

clean:
	rm -f $(WAREHOUSE)
