# The README's two commands: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
# apt-get is used only when a system package is missing and we are root (CI, a fresh machine).
APT_PACKAGES := chromium fonts-wqy-microhei wrk

.PHONY: run worker test lint bench install install-test system-deps migrate seed translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -q -d portal/translations 2>/dev/null || $(BIN)/pybabel compile -d portal/translations

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

run: seed
	PORT=$(PORT) $(FLASK) serve

worker: install
	$(FLASK) worker

system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing system packages:$$missing (install them with apt-get as root)"; exit 1; fi; \
	fi

lint: install-test
	$(BIN)/ruff check portal jobs tests wsgi.py

# Exit code 5 (no tests collected) is a failure here, like any other non-zero code.
test: install-test system-deps lint
	$(BIN)/pytest -n 2 --dist loadgroup -p no:cacheprovider

bench: install-test system-deps
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) instance .pytest_cache
