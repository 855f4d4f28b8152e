# The README's two commands: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
# apt-get is used only when a system package is missing and we are root (CI, a fresh machine).
APT_PACKAGES := chromium fonts-wqy-microhei wrk
TRANSLATIONS := portal/translations
PO_LANGUAGES := zh_Hans zh_Hant
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2

.PHONY: run fonts worker test lint bench install install-test system-deps migrate seed translations messages clean

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

# Compile the catalogs to .mo (gitignored). pybabel skips a catalog marked fuzzy with exit code 0, so
# remove the old .mo files first and fail when one was not written again.
translations: $(VENV)/.installed
	rm -f $(TRANSLATIONS)/*/LC_MESSAGES/messages.mo
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)
	@for po in $(TRANSLATIONS)/*/LC_MESSAGES/messages.po; do \
	  [ -f "$${po%.po}.mo" ] || { echo "$$po was not compiled: is it marked fuzzy?"; exit 1; }; \
	done

# Re-extract every string of portal/ and jobs/ into messages.pot and merge it into each catalog
# (no fuzzy guesses, obsolete entries dropped; lines up to 120 characters; no source locations, which
# changed with every edit of a source file and made every branch conflict in the catalogs). New strings then show up untranslated, and
# tests/unit/test_translations.py fails until they are translated. Keep BABEL_KEYWORDS in step with it.
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --add-comments=TRANSLATORS: --no-location \
	  --project="Partner Portal" --version="$$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)" \
	  --copyright-holder="the Partner Portal authors" --msgid-bugs-address=portal@localhost -w 120 -o $(TRANSLATIONS)/messages.pot portal jobs
	@for lang in $(PO_LANGUAGES); do \
	  [ -f $(TRANSLATIONS)/$$lang/LC_MESSAGES/messages.po ] || \
	    $(BIN)/pybabel -q init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$lang; \
	done
	$(BIN)/pybabel -q update -w 120 -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

run: fonts seed
	PORT=$(PORT) $(FLASK) serve

# The CJK font that PDF statements embed (Chinese partner names); installed when missing and we are root.
fonts:
	@[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      fonts-wqy-microhei >/dev/null || echo "fonts-wqy-microhei could not be installed: PDF statements are off"; \
	  else echo "fonts-wqy-microhei is missing: PDF statements are off until it is installed"; fi; }

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
	$(BIN)/ruff check portal jobs tests migrations wsgi.py

# Exit code 5 (no tests collected) is a failure here, like any other non-zero code.
test: install-test system-deps lint
	$(BIN)/pytest -n 2 --dist loadgroup -p no:cacheprovider

# One large seed for the rebates row and the pages (tests/bench_rebates.py seeds it and leaves the quarter's
# draft statements for the rebate pages of tests/bench.py); every row runs even when one misses its target.
bench: install-test system-deps
	@dir=$$(mktemp -d /tmp/portal-bench-XXXXXX) || exit 1; trap 'rm -rf "$$dir"' EXIT; rc=0; \
	BENCH_INSTANCE="$$dir" $(BIN)/python -m tests.bench_rebates || rc=1; \
	BENCH_INSTANCE="$$dir" $(BIN)/python -m tests.bench || rc=1; \
	$(BIN)/python -m tests.bench_deals || rc=1; \
	exit $$rc

clean:
	rm -rf $(VENV) instance .pytest_cache
