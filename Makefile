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
# Airflow's own components stay quiet; task logs (the crawl, write and report summaries) do not.
export AIRFLOW__LOGGING__LOGGING_LEVEL := WARNING
export AIRFLOW__LOGGING__NAMESPACE_LEVELS := task=INFO
export PYTHONPATH := $(PROJECT)
export SCRAPY_SETTINGS_MODULE := scrapers.settings

SHARED ?= $(abspath $(PROJECT)/../shared)
DATASETS := $(SHARED)/datasets
SCORE := $(PY) $(SHARED)/tools/score_extraction.py

.PHONY: setup demo test test-slow test-distributed test-all pools lint docs docs-check bench bench-extraction bench-lopo bench-history bench-ccnews bench-alternates bench-backfill bench-write behaviour-dump \
	check-sources airflow airflow-setup clean

setup: $(VENV)/.synced airflow_home/.ready

# --compile-bytecode: every crawl is a fresh Python process, and uv writes no .pyc files (nor
# does Python under PYTHONDONTWRITEBYTECODE): compiling Scrapy, Twisted, trafilatura... from
# source cost each crawl ~1.5 s of CPU, half of an unchanged site's incremental run.
$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen --quiet --compile-bytecode
	@touch $@

airflow_home/.ready: $(VENV)/.synced
	@mkdir -p $(AIRFLOW_HOME)
	$(VENV)/bin/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (tail -40 $(AIRFLOW_HOME)/migrate.log; exit 1)
	$(PY) -m scrapers.pools > /dev/null
	@touch $@

# The Airflow pools the DAGs use (newsflow_lake_writer: 1 slot; newsflow_crawl:
# $$NEWSFLOW_CRAWL_POOL_SLOTS); run it against any Airflow database, e.g. with
# AIRFLOW__DATABASE__SQL_ALCHEMY_CONN set to a production one.
pools: $(VENV)/.synced
	$(PY) -m scrapers.pools

airflow-setup: airflow_home/.ready

demo: setup
	$(PY) -m scrapers.demo.run_demo

test: setup
	$(PY) -m pytest -q

test-slow: setup
	$(PY) -m pytest -q -m slow

# Two Celery workers that share no disk, PostgreSQL, Redis and an S3-compatible lake, all on
# 127.0.0.1 and started and stopped by the test itself (tests/distributed_cluster.py).
test-distributed: setup
	$(PY) -m pytest -q -m distributed

test-all: setup
	$(PY) -m pytest -q -m "not live"

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .

docs: $(VENV)/.synced
	$(PY) -m transforms.docs

docs-check: $(VENV)/.synced
	$(PY) -m transforms.docs --check

# Every Extracted field of the dev sets and demo pages, and the demo lake, as stable JSON: diff two
# dumps to prove a refactor changed no behaviour (make behaviour-dump OUT=dir; ~5 minutes).
behaviour-dump: setup
	$(PY) tests/behaviour_dump.py $(or $(OUT),build/behaviour-dump)

# Opt-in: needs the internet; here it fails cleanly, one line per outlet.
check-sources: $(VENV)/.synced
	$(PY) -m scrapers.check_sources

airflow: setup
	$(PY) -m scrapers.demo.standalone

bench-extraction: $(VENV)/.synced
	@mkdir -p bench/out
	for set in bodies-dev fields-dev; do \
	  $(PY) bench/extraction.py $(DATASETS)/$$set --out bench/out/$$set.jsonl --compare-trafilatura || exit 1; \
	  echo "== newsflow on $$set"; $(SCORE) $(DATASETS)/$$set bench/out/$$set.jsonl || exit 1; \
	  echo "== trafilatura on $$set"; $(SCORE) $(DATASETS)/$$set bench/out/$$set.trafilatura.jsonl || exit 1; \
	done
	$(PY) bench/title_choice.py $(DATASETS)/fields-dev

# Leave-one-publisher-out: each body and author rule judged on the publishers it was not written for.
bench-lopo: $(VENV)/.synced
	$(PY) bench/lopo.py $(DATASETS)/bodies-dev $(DATASETS)/fields-dev --scorer $(SHARED)/tools/score_extraction.py

# One day's merge against 30 and 365 days of history, local and on a loopback S3 server.
bench-history: setup
	$(PY) bench/history.py --days 30 365

# news_ccnews's harvest streaming a generated 1 GB CC-NEWS-shaped WARC against warcio alone.
bench-ccnews: setup
	$(PY) bench/ccnews.py

# The cross-run duplicate check (same body, new URL) against 30 and 365 days of history.
bench-alternates: setup
	$(PY) bench/alternates.py

# The DAG's write path (process_staged) on one day of 25k and 100k rows into a 30-day lake, per stage.
bench-write: setup
	$(PY) bench/write.py

# A 7-day backfill through a real Airflow against the same task functions called in a loop.
bench-backfill: setup
	$(PY) bench/backfill.py

bench: setup bench-extraction bench-history bench-ccnews bench-alternates bench-backfill bench-write
	$(PY) bench/dag_parse.py
	$(PY) bench/crawl.py --pages 600
	$(PY) bench/incremental.py --pages 1000
	$(PY) bench/dedup.py
	$(PY) bench/dedup.py --worst-case --n 25000

clean:
	rm -rf airflow_home data/lake data/staging .pytest_cache
