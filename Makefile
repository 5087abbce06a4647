# newsflow: `make demo` and `make test` work on a machine with only python3 and make.
SHELL := /bin/bash
PROJECT := $(abspath .)
VENV := $(PROJECT)/.venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3
export AIRFLOW_HOME := $(PROJECT)/airflow_home
export AIRFLOW__CORE__DAGS_FOLDER := $(PROJECT)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := True
export AIRFLOW__LOGGING__LOGGING_LEVEL := WARNING
export PYTHONPATH := $(PROJECT)
export SCRAPY_SETTINGS_MODULE := scrapers.settings

.PHONY: setup demo test test-slow lint bench check-sources airflow-setup clean

setup: $(VENV)/.synced airflow_home/.ready

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen --quiet
	@touch $@

airflow_home/.ready: $(VENV)/.synced
	@mkdir -p $(AIRFLOW_HOME)
	$(VENV)/bin/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (tail -40 $(AIRFLOW_HOME)/migrate.log; exit 1)
	$(VENV)/bin/airflow pools set newsflow_lake_writer 1 "Serialises writes to the Parquet lake" > /dev/null
	@touch $@

airflow-setup: airflow_home/.ready

demo: setup
	$(PY) -m scrapers.demo.run_demo

test: setup
	$(PY) -m pytest -q

test-slow: setup
	$(PY) -m pytest -q -m slow

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .

check-sources: $(VENV)/.synced
	$(PY) -m scrapers.check_sources

bench: setup
	$(PY) bench/extraction.py /work/shared/datasets/bodies-dev --out bench/out/bodies.jsonl --compare-trafilatura

clean:
	rm -rf airflow_home data/lake data/staging .pytest_cache
