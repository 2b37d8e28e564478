# Pilotage territorial — `make run` (dashboard on the demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WAREHOUSE := data/warehouse.duckdb
ETL_INPUTS := $(shell find data/sources data/reference etl -type f -not -name '*.pyc' 2>/dev/null)
PORT ?= 8501

.PHONY: run etl check test lint format bench template reference browser nginx axe clean report

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

etl: $(VENV)/.installed
	$(PY) -m etl build

check: $(VENV)/.installed
	$(PY) -m etl check

# Browser tests need Debian's Chromium, the deployment test nginx, the accessibility test
# axe-core (npm): installed here when missing.
test: lint browser nginx axe
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Chromium for the browser measures, nginx for the server behind deploy/nginx.conf (Debian's).
bench: $(VENV)/.installed browser nginx
	$(PY) -m bench

# Rapport de commission (PDF): make report TERRITOIRE=200068666 PERIMETRE=element:P1 SORTIE=r.pdf
TERRITOIRE ?= 200068666
PERIMETRE ?= plan
report: $(WAREHOUSE)
	$(PY) -m dashboard.report --territoire $(TERRITOIRE) --perimetre $(PERIMETRE) \
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

# axe-core for tests/test_accessibility.py, outside the repository (same version as the test's).
AXE_VERSION := 4.11.4
AXE_DIR ?= $(HOME)/.cache/pilotage/axe
axe:
	grep -qs '"version": "$(AXE_VERSION)"' $(AXE_DIR)/node_modules/axe-core/package.json || \
		npm install --prefix $(AXE_DIR) axe-core@$(AXE_VERSION) --silent

clean:
	rm -f $(WAREHOUSE)
