# The commands people and scripts rely on (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.lock

# Tests run against real PostgreSQL and Redis; these are the defaults, the environment wins.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/early_warning
TEST_REDIS_URL ?= redis://127.0.0.1:6379

.PHONY: install run worker test lint format bench bench-api clean lock messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python ## Build .venv/ from the lock file, exactly; compile the translations.
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	@DEBUG=true $(BIN)/python manage.py compilemessages -v 0 --ignore=.venv --ignore=var --ignore=staticfiles

run: install ## The service on the embedded default: SQLite, file-system broker, demo data.
	@mkdir -p var/broker/out var/broker/processed
	@DEBUG=true $(BIN)/python manage.py migrate --no-input -v 0
	@DEBUG=true $(BIN)/python manage.py seed_demo
	@DEBUG=true $(BIN)/python manage.py evaluate_rules --school demo
	@DEBUG=true bash scripts/run-embedded

test: install ## The whole suite, against PostgreSQL and Redis.
	DEBUG=true \
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_REDIS_URL)/14} \
	CACHE_URL=$${CACHE_URL:-$(TEST_REDIS_URL)/13} \
	PSEUDONYM_KEY=$${PSEUDONYM_KEY:-test-pseudonym-key} \
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff, mypy (django-stubs), and no model change without its migration.
	@mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python scripts/translations.py check

messages: install ## Extract the marked strings into locale/*/LC_MESSAGES/django.po.
	$(BIN)/python scripts/translations.py update

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark database is the test database's name plus _bench: dropped and made anew.
BENCH = DEBUG=true DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)}_bench \
	CACHE_URL=$${CACHE_URL:-$(TEST_REDIS_URL)/13} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_REDIS_URL)/14} \
	$(BIN)/python -m benchmarks

bench: install ## Benchmarks, every row of the targets; figures go to docs/PERFORMANCE.md.
	$(BENCH) $(BENCH_ARGS)

bench-api: install ## The HTTP figures alone: gunicorn on loopback, a bounded load generator.
	$(BENCH) api

lock: ## Re-pin requirements/*.lock from requirements/*.in (needs pip-tools).
	cd requirements && pip-compile -q --generate-hashes --strip-extras --allow-unsafe -o base.lock base.in
	cd requirements && pip-compile -q --generate-hashes --strip-extras --allow-unsafe -o dev.lock dev.in

clean:
	rm -rf var/ .pytest_cache .ruff_cache
