# jifen — everyday commands. Works from a fresh clone: everything is installed into .venv.
#   make run    set up, migrate, collect static files, serve on http://127.0.0.1:8000
#   make test   set up, run the whole pytest suite
#   make lint   ruff

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST   ?= 127.0.0.1
PORT   ?= 8000
VAR    := var

# Rebuilt only when pyproject.toml changes (or the venv is gone).
SETUP_STAMP  := $(VENV)/.jifen-setup-stamp
STATIC_STAMP := $(VAR)/staticfiles/.jifen-collected-stamp
STATIC_SRC   := $(shell find src/jifen -path '*/static/*' -type f 2>/dev/null)

.PHONY: help setup run serve load-deps migrate static demo test test-deps lint clean browser-deps ops-deps backup-deps deploy-deps

help:
	@echo "make run    set up, migrate, collect static files, serve on http://$(HOST):$(PORT)/"
	@echo "make test   set up, then run the whole test suite"
	@echo "make lint   ruff check"
	@echo "make serve  the production set-up here: gunicorn, worker, scheduler on PostgreSQL + Redis"
	@echo "make setup  only build .venv (quick when nothing changed)"
	@echo "make browser-deps  install Chromium and the Noto CJK fonts for the browser tests"
	@echo "make ops-deps  install promtool (Debian's prometheus) for the alert-rule tests"
	@echo "make backup-deps   install pgBackRest (PostgreSQL backups; deploy/pgbackrest/setup.sh)"

setup: $(SETUP_STAMP)

$(SETUP_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

migrate: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

static: $(STATIC_STAMP)

$(STATIC_STAMP): $(SETUP_STAMP) $(STATIC_SRC)
	$(MANAGE) collectstatic --noinput --clear --verbosity 0
	@touch $@

# ---- DEMO ROUND --------------------------------------------------------------------------
# Loads the demo round (a round open for declaration, an employer, applicants in every state,
# one account per role) and prints the URL and the demo logins. Idempotent: quick and without
# changes when it is already loaded. Dates are relative to the first load; delete
# var/jifen.sqlite3 to start over. `make run DEMO=0` skips it (the command refuses to run
# when DEBUG is off: a published password must not reach a real system).
DEMO ?= 1
demo: migrate
	@if [ "$(DEMO)" != 0 ]; then $(MANAGE) demo_round --url http://$(HOST):$(PORT)/; fi
	@# Anchor the audit chain outside the database (the scheduler will do this regularly).
	@$(MANAGE) audit_checkpoint > /dev/null || echo "  (audit_checkpoint failed: a var/ from before the keyed audit chain? see README)" >&2
# ---- end of DEMO ROUND -------------------------------------------------------------------

# The task worker (django-tasks' database backend: scoring runs, scheduled jobs) and the
# scheduler (manage.py run_scheduler: inspections, backups, verifications at their times) run
# beside the server, their output in var/; both stop when the server stops (Ctrl-C).
run: migrate static demo
	@echo
	@echo "  北京市积分落户管理信息系统: http://$(HOST):$(PORT)/   (Ctrl-C stops it)"
	@echo "  task worker (manage.py task_worker): log in $(VAR)/db_worker.log"
	@echo "  scheduler (manage.py run_scheduler): log in $(VAR)/scheduler.log"
	@echo
	@$(MANAGE) task_worker > $(VAR)/db_worker.log 2>&1 & worker=$$!; \
	$(MANAGE) run_scheduler > $(VAR)/scheduler.log 2>&1 & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null; wait $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

# The production set-up on this machine (docs/deploy.md): gunicorn (several workers) with
# WhiteNoise, the task worker and the scheduler as their own processes, on the local PostgreSQL
# (database `jifen`, created when missing) and Redis, settings jifen.settings.serve. No demo
# round. For the fault tests, the scale-out test and the load benchmark; `make run` stays the demo.
serve: setup
	@deploy/serve.sh

# locust for the load benchmark (bench/load/); not needed by the tests.
load-deps: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,load]'

# Browser tests drive Debian's Chromium through Playwright (never `playwright install`); without
# a CJK font every Chinese character renders as a box; chromium-l10n gives the browser's own
# controls (the file picker's button) their Chinese text. A quick no-op when both are present.
BROWSER_PACKAGES := chromium chromium-l10n fonts-noto-cjk
CHROMIUM         ?= /usr/bin/chromium

browser-deps:
	@if [ -x $(CHROMIUM) ] && [ -f /usr/lib/chromium/locales/zh-CN.pak ] && { fc-list :lang=zh 2>/dev/null | grep -qi noto \
	        || dpkg -s fonts-noto-cjk >/dev/null 2>&1; }; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "browser-deps: Chromium ($(CHROMIUM)) or the Noto CJK fonts are missing." >&2; \
	    echo "browser-deps: install them as root: apt-get install $(BROWSER_PACKAGES)" >&2; \
	    exit 1; \
	fi; \
	echo "browser-deps: installing $(BROWSER_PACKAGES)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt_install() { apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES); }; \
	apt_install || { apt-get update -q && apt_install; }

# promtool (Debian's prometheus package) checks deploy/prometheus/alerts.yml in the tests. Never
# fails: without root or apt the promtool tests are skipped with the reason.
PROMTOOL ?= promtool

ops-deps:
	@if command -v $(PROMTOOL) >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "ops-deps: promtool is missing (apt-get install prometheus as root); its tests are skipped." >&2; \
	    exit 0; \
	fi; \
	echo "ops-deps: installing prometheus (promtool)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt_install() { apt-get install -y -q --no-install-recommends prometheus; }; \
	apt_install || { apt-get update -q && apt_install; } \
	    || echo "ops-deps: could not install prometheus; the promtool tests are skipped." >&2

# PostgreSQL backups go through pgBackRest (Debian package); the PostgreSQL round-trip test
# needs it (and skips, saying so, without it). A quick no-op when it is there.
backup-deps:
	@if command -v pgbackrest >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "backup-deps: pgbackrest is missing; install it as root: apt-get install pgbackrest" >&2; \
	    exit 0; \
	fi; \
	echo "backup-deps: installing pgbackrest"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt_install() { apt-get install -y -q --no-install-recommends pgbackrest; }; \
	apt_install || { apt-get update -q && apt_install; }

# nginx (Debian package) checks deploy/nginx/jifen.conf in the tests (`nginx -t`); it is only
# checked, never left running. Never fails: without root or apt that test is skipped.
deploy-deps:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "deploy-deps: nginx is missing (apt-get install nginx as root); its test is skipped." >&2; \
	    exit 0; \
	fi; \
	echo "deploy-deps: installing nginx"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt_install() { apt-get install -y -q --no-install-recommends nginx; }; \
	{ apt_install || { apt-get update -q && apt_install; }; } \
	    || echo "deploy-deps: could not install nginx; its test is skipped." >&2; \
	if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx 2>/dev/null || true; fi

# What the tests need beyond .venv (system packages; quick no-ops when present).
test-deps: setup browser-deps ops-deps backup-deps deploy-deps

test: test-deps
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VAR)/staticfiles .pytest_cache .ruff_cache
