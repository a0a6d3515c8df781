# DataFlow — every target does its own set-up: a private uv in .tools/, the locked
# virtualenv in .venv/, and the local services (Postgres cluster + moto server) on demand.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON   ?= python3
UV       := .tools/bin/uv
VENV     := .venv
DATAFLOW := $(VENV)/bin/dataflow
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# .pyc files at install: every Airflow task process imports Airflow, Cosmos and dbt, and with
# PYTHONDONTWRITEBYTECODE set it would compile them from source each time (docs/runtime.md).
export UV_COMPILE_BYTECODE := 1

.PHONY: help system-packages setup demo test up down status env generate bench lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

system-packages: ## the Debian packages of scripts/system-packages.txt (Java, JDBC, Prometheus, Chromium)
	@scripts/ensure-system-packages

setup: system-packages $(VENV)/.synced ## Debian packages, then .venv from uv.lock

demo: setup ## the platform end to end: services, data, Airflow runs, summary
	$(DATAFLOW) demo

test: setup ## the whole test suite (starts its own Postgres + moto server)
	$(VENV)/bin/pytest

up: setup ## start Postgres, the AWS endpoint, Airflow (web UI on :8080) and the monitoring stack
	$(DATAFLOW) up

down: setup ## stop what `make up` started
	$(DATAFLOW) down

status: setup ## which local services run
	$(DATAFLOW) status

env: setup ## export lines for the local services: eval "$$(make -s env)"
	@$(DATAFLOW) env

generate: setup ## write synthetic data to the landing bucket
	$(DATAFLOW) generate

bench: setup ## benchmarks (not part of the tests); results in docs/benchmarks.md
	$(VENV)/bin/python benchmarks/run_all.py $(BENCH_ARGS)

lint: setup ## ruff + sqlfluff
	$(VENV)/bin/ruff check src tests airflow benchmarks aws/lambda_functions
	$(VENV)/bin/ruff format --check src tests airflow benchmarks aws/lambda_functions

clean: down ## stop services and delete local state (.dataflow/)
	rm -rf .dataflow
