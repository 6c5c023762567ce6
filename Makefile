# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
## the port `make run` and `make serve` listen on: `make run PORT=5050`
PORT ?= 5000
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format install serve clean translations audit

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

## Translations are compiled from the .po catalogues (the .mo files are not kept in git).
## `make run` needs Python and make only; axe-core, which only the accessibility test uses,
## comes from package-lock.json into node_modules/ (npm) for `make test`.
CATALOGUES := $(wildcard lms/translations/*/LC_MESSAGES/messages.po)
PYBABEL_EXTRACT := $(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ln:1,2 \
	--ignore-dirs='.* __pycache__ node_modules' --add-location=file --sort-by-file \
	--project='Cooperation Coach Accreditation' --copyright-holder='' -w 100

install: $(STAMP) $(CATALOGUES:.po=.mo)

.PHONY: test-tools
test-tools: node_modules/.package-lock.json

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is needed for the accessibility test's axe-core: install Node.js, or run .ci/run, which installs it"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

## make translations: gather every translatable message into lms/translations/messages.pot and
## merge it into the German and French catalogues; then translate the new (empty or fuzzy)
## entries and run `make install` (tests/i18n fails while any entry is untranslated).
translations: $(STAMP)
	$(PYBABEL_EXTRACT) -o lms/translations/messages.pot .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations -w 100 \
		--ignore-pot-creation-date
	$(MAKE) install

## make run: install, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)
## (`lms demo --migrate` migrates and loads in one start; the bytecode is compiled first, so
## neither command compiles the app's modules again, even under PYTHONDONTWRITEBYTECODE)
run: install
	$(BIN)/python -m compileall -q lms migrations
	$(BIN)/lms demo --migrate
	$(BIN)/lms run --host 127.0.0.1 --port $(PORT)

## make serve: serve without touching the data
serve: install
	$(BIN)/lms run --host 127.0.0.1 --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make test: lint, then the whole suite on SQLite, and again on PostgreSQL when
## LMS_TEST_DATABASE_URL is set (browser tests run in the first pass when LMS_E2E=1).
PYTEST := $(BIN)/pytest -n 2 --dist loadfile

test: lint test-tools
	env -u LMS_TEST_DATABASE_URL $(PYTEST)
	@if [ -n "$$LMS_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$LMS_TEST_DATABASE_URL"; \
		$(PYTEST) -m "not e2e and not database_independent"; \
	fi

## make bench: the performance benchmark (bench/README.md), never part of `make test`: seeds a
## large dataset (SQLite, and PostgreSQL when it answers), then measures against bare Flask.
.PHONY: bench
## wrk (Debian's package) drives the HTTP benchmark: installed here when missing and possible;
## without it the benchmark uses its Python client, which takes more of the servers' CPU.
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk \
		>/dev/null; } || echo "wrk is not installed: the HTTP benchmark uses its Python client"
	$(BIN)/python -m bench all

## make audit: known vulnerabilities in the installed dependencies (pip-audit; needs PyPI).
audit: install
	.ci/audit

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules $(CATALOGUES:.po=.mo)
