"""Domain groups (``scrapers.sources.domain_groups``): plan, validation and the crawl's lease.

Sources sharing a registrable domain form one group; plan gives each job its group, registry
validation refuses what cannot be grouped, and a crawl holds the lake lease of its group, so a
second crawl of the group waits (and says for whom) or gives up after its bound, on a local lake
and on moto's S3 server.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from scrapers.sources import RegistryError, domain_groups, load_registry, parse_registry
from scrapers.tasks.crawl import domain_lease
from scrapers.tasks.plan import plan_crawls
from tests.test_object_storage import BUCKET, s3  # noqa: F401  (the moto fixture)
from transforms.lease import LeaseHeld

REPO = Path(__file__).resolve().parent.parent
START, END = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)


def entry(source_id: str, *domains: str) -> dict:
    """A minimal valid registry entry on ``domains``."""
    return {"id": source_id, "name": source_id.title(), "homepage": f"https://{domains[0]}/",
            "country": "PK", "languages": ["en"], "timezone": "Asia/Karachi",
            "allowed_domains": list(domains), "feeds": [f"https://{domains[0]}/feed"]}


def write(path: Path, *entries: dict) -> Path:
    """A registry file of ``entries``."""
    path.write_text(yaml.safe_dump({"version": 1, "sources": list(entries)}), encoding="utf-8")
    return path


def test_sources_sharing_a_registrable_domain_share_a_group(tmp_path: Path) -> None:
    """Subdomains join their site; groups chain through a source listing two sites."""
    path = write(tmp_path / "sources.yaml",
                 entry("urdu", "urdu.paper.com.pk"), entry("english", "paper.com.pk"),
                 entry("bridge", "zeta.org", "images.paper.com.pk"), entry("zeta", "zeta.org"),
                 entry("alone", "alone.in"), entry("ip", "127.0.0.1"))
    assert domain_groups(load_registry(path)) == {
        "urdu": "paper.com.pk", "english": "paper.com.pk", "bridge": "paper.com.pk",
        "zeta": "paper.com.pk", "alone": "alone.in", "ip": "127.0.0.1"}


@pytest.mark.parametrize("registry", [REPO / "scrapers" / "sources.yaml",
                                      REPO / "data" / "demo_sites" / "sources.yaml"])
def test_plan_and_validation_agree(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every job carries the group validation computes; the BBC desks take turns."""
    monkeypatch.setenv("NEWSFLOW_DEMO_BASE", "http://127.0.0.1:9")
    jobs = plan_crawls(START, END, registry, run_id="scheduled__2026-11-21T00:00:00+00:00")
    groups = domain_groups(load_registry(registry))
    assert {job.source: job.group for job in jobs} == groups
    if registry.parent.name == "scrapers":
        bbc = {sid for sid, group in groups.items() if group == "bbc.com"}
        assert bbc == {"bbc-urdu", "bbc-hindi", "bbc-bangla", "bbc-nepali"}
        assert len(set(groups.values())) == len(groups) - 3
    else:
        assert set(groups.values()) == {"127.0.0.1"}


@pytest.mark.parametrize("suffix", ["com.pk", "co.uk", "gov.in"])
def test_validation_refuses_a_public_suffix(suffix: str, tmp_path: Path) -> None:
    """A public suffix is not a site: it can be no group, and plan never sees it."""
    path = write(tmp_path / "sources.yaml", entry("fine", "fine.com"),
                 {**entry("wide", "wide.com"), "allowed_domains": ["wide.com", suffix]})
    with pytest.raises(RegistryError, match=f"'wide'.*{suffix!r} is a public suffix"):
        load_registry(path)
    with pytest.raises(RegistryError, match="public suffix"):
        plan_crawls(START, END, path)
    parse_registry({"sources": [entry("fine", "fine.com")]})  # the other entry alone is fine


@pytest.fixture(params=["local", "s3"])
def any_lake(request: pytest.FixtureRequest, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> str:
    """NEWSFLOW_LAKE on a local path, or on moto's S3 server (conditional-put leases)."""
    if request.param == "s3":
        request.getfixturevalue("s3")
        lake = f"s3://{BUCKET}/domain-groups/{request.node.name}"
    else:
        lake = str(tmp_path / "lake")
    monkeypatch.setenv("NEWSFLOW_LAKE", lake)
    return lake


def test_a_second_crawl_of_a_group_waits_and_names_the_holder(
        any_lake: str, capsys: pytest.CaptureFixture[str]) -> None:
    """While one crawl holds domain-x.com, another waits (naming it), then runs after it."""
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with domain_lease("x.com", "first-desk", wait=5):
            order.append("first in")
            held.set()
            time.sleep(1.0)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(10)
    with domain_lease("x.com", "second-desk", wait=30):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]
    out = capsys.readouterr().out
    assert "second-desk: waiting up to 30 s for domain group 'x.com'" in out
    assert "crawl of first-desk" in out
    with domain_lease("y.org", "other-group", wait=0):  # another group never waits
        pass
    assert "other-group" not in capsys.readouterr().out


def test_the_wait_is_bounded(any_lake: str) -> None:
    """A crawl that cannot get its group's lease within its bound fails, naming the holder."""
    held, done = threading.Event(), threading.Event()

    def holder() -> None:
        with domain_lease("x.com", "slow-desk", wait=5):
            held.set()
            done.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(LeaseHeld, match="crawl of slow-desk"), \
                domain_lease("x.com", "late-desk", wait=0.5):
            pass
    finally:
        done.set()
        thread.join()
