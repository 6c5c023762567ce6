# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format install serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load the demo data and serve on http://127.0.0.1:5000
run: install
	$(BIN)/lms db upgrade
	$(BIN)/lms demo
	$(BIN)/lms run --host 127.0.0.1 --port 5000

## make serve: serve without touching the data
serve: install
	$(BIN)/lms run --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make test: lint, then the whole suite on SQLite, and again on PostgreSQL when
## LMS_TEST_DATABASE_URL is set (browser tests run in the first pass when LMS_E2E=1).
PYTEST := $(BIN)/pytest -n 2 --dist loadfile

test: lint
	env -u LMS_TEST_DATABASE_URL $(PYTEST)
	@if [ -n "$$LMS_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$LMS_TEST_DATABASE_URL"; \
		$(PYTEST) -m "not e2e"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
