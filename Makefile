# digitlab: `make help` lists the entry points.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Stages call `python`: put the venv first so dvc runs them with its interpreter.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help setup repro test lint format bench clean

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## setup: create .venv with the pinned dependencies and the package (editable)
setup: $(STAMP)

## repro: setup, then run the whole pipeline with dvc repro
repro: $(STAMP)
	$(BIN)/dvc repro

## test: setup, then lint, type-check and run the test suite
test: lint
	$(BIN)/pytest

## lint: ruff (lint and format check) and mypy on src/
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## format: rewrite the code with ruff's formatter and safe fixes
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: run the benchmarks and write benchmarks/results.md
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

## clean: remove caches (not .venv, data or DVC's cache)
clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache
