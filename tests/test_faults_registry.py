"""Broken registries fail validation naming the entry, in ``plan`` and before any crawl runs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from scrapers.sources import RegistryError, load_registry
from scrapers.tasks.plan import plan_crawls

START = datetime(2026, 11, 20, tzinfo=UTC)
END = START + timedelta(days=1)


def entry(source_id: str = "good-outlet", **extra: Any) -> dict[str, Any]:
    """A valid registry entry, changed by ``extra``."""
    data: dict[str, Any] = {
        "id": source_id, "name": "Good Outlet", "homepage": "https://good.example/",
        "country": "PK", "languages": ["en"], "timezone": "Asia/Karachi",
        "allowed_domains": ["good.example"], "feeds": ["https://good.example/feed.xml"],
    }
    data.update(extra)
    return data


def registry_text(*entries: dict[str, Any], **top: Any) -> str:
    """YAML of a registry holding ``entries``."""
    return yaml.safe_dump({"version": 1, **top, "sources": list(entries)}, sort_keys=False)


BAD = {
    "invalid_yaml": ("sources:\n  - id: a\n    name: [unclosed\n", r"invalid YAML"),
    "tab_indented_yaml": ("sources:\n\t- id: a\n", r"invalid YAML"),
    "not_a_mapping": ("- just\n- a list\n", r"expected a mapping with a 'sources' list"),
    "unknown_key": (registry_text(entry(), entry("second", feeed=["https://x.example/f"])),
                    r"entry #2 \(id='second'\): feeed: Extra inputs are not permitted"),
    "unknown_top_level_key": (registry_text(entry(), allow_privat=True),
                              r"allow_privat: Extra inputs are not permitted"),
    "unknown_politeness_key": (registry_text(entry(politeness={"delay": 0})),
                               r"entry #1 \(id='good-outlet'\): politeness\.delay"),
    "id_with_dot_dot": (registry_text(entry("../../etc")),
                        r"entry #1 \(id='\.\./\.\./etc'\): id: String should match pattern"),
    "id_with_slash": (registry_text(entry(), entry("pk/dawn")),
                      r"entry #2 \(id='pk/dawn'\): id: String should match pattern"),
    "duplicate_ids": (registry_text(entry("dawn"), entry(), entry("dawn")),
                      r"entry #3 \(id='dawn'\): duplicate id 'dawn' \(first used by entry #1\)"),
    "file_feed": (registry_text(entry(feeds=["file:///etc/passwd"])),
                  r"entry #1 \(id='good-outlet'\): feeds: .*must use http or https, not 'file'"),
    "ftp_sitemap": (registry_text(entry(sitemaps=["ftp://good.example/sitemap.xml"])),
                    r"entry #1 \(id='good-outlet'\): sitemaps: .*not 'ftp'"),
    "file_homepage": (registry_text(entry(homepage="file:///srv/www/")),
                      r"homepage: .*not 'file'"),
    "ftp_listing": (registry_text(entry(listings=[{"url": "ftp://good.example/latest/"}])),
                    r"listings\.0\.url: .*not 'ftp'"),
    "file_archive": (registry_text(entry(archives=[{"url_template": "file:///a/{date:%Y}"}])),
                     r"archives\.0\.url_template: .*not 'file'"),
    "domain_with_path": (registry_text(entry(allowed_domains=["good.example/../x"])),
                         r"allowed_domains: .*must be a bare host name"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_registries_fail_naming_the_file_and_entry(case: str, tmp_path: Path) -> None:
    text, expected = BAD[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert re.search(expected, message), message
    with pytest.raises(RegistryError, match=re.escape(str(path))):
        plan_crawls(START, END, path)


def test_a_good_registry_plans_one_job_per_source(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(registry_text(entry(), entry("second")), encoding="utf-8")
    jobs = plan_crawls(START, END, path)
    assert [j.source for j in jobs] == ["good-outlet", "second"]


def test_dag_run_fails_in_plan_and_runs_no_crawl(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """news_daily with a registry holding a ``../`` id: plan fails, no crawl task ever runs."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import TaskInstanceState

    path = tmp_path / "bad.yaml"
    path.write_text(registry_text(entry(), entry("../escape")), encoding="utf-8")
    staging, lake = tmp_path / "staging", tmp_path / "lake"
    monkeypatch.setenv("NEWSFLOW_LAKE", str(lake))
    monkeypatch.setenv("NEWSFLOW_STAGING", str(staging))
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(path))
    dag = DagBag(dag_folder=str(Path(__file__).resolve().parent.parent / "dags")).dags["news_daily"]
    day = date(2026, 11, 20)
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    run = dag.test(logical_date=logical, run_conf={"registry": str(path)})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["plan"] == TaskInstanceState.FAILED
    assert states.get("crawl") in (None, TaskInstanceState.UPSTREAM_FAILED), states
    assert all(state != TaskInstanceState.SUCCESS for state in states.values()), states
    assert str(run.state) == "failed"
    assert not staging.exists() or not any(staging.rglob("*"))  # no crawl ever started
    assert not lake.exists() or not any(lake.rglob("*.parquet"))
