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

.PHONY: help setup run migrate static demo test lint clean

help:
	@echo "make run    set up, migrate, collect static files, serve on http://$(HOST):$(PORT)/"
	@echo "make test   set up, then run the whole test suite"
	@echo "make lint   ruff check"
	@echo "make setup  only build .venv (quick when nothing changed)"

setup: $(SETUP_STAMP)

$(SETUP_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

migrate: setup
	$(MANAGE) migrate --noinput

static: $(STATIC_STAMP)

$(STATIC_STAMP): $(SETUP_STAMP) $(STATIC_SRC)
	$(MANAGE) collectstatic --noinput --clear --verbosity 0
	@touch $@

# ---- DEMO ROUND --------------------------------------------------------------------------
# A later issue loads the demo round here (idempotent, quick when it is already loaded).
demo: migrate
	@true
# ---- end of DEMO ROUND -------------------------------------------------------------------

run: migrate static demo
	@echo
	@echo "  北京市积分落户管理信息系统: http://$(HOST):$(PORT)/   (Ctrl-C stops it)"
	@echo
	$(MANAGE) runserver $(HOST):$(PORT)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VAR)/staticfiles .pytest_cache .ruff_cache
