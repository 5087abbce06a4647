"""Byline rules: prefixes, splitting, noise, agencies and the outlet as byline."""

from __future__ import annotations

import pytest
from tests.test_extract_helpers import make_source, page

from scrapers.extract import extract
from scrapers.extract.authors import clean_authors


@pytest.mark.parametrize(("byline", "expected"), [
    ("By Sana Qureshi", ["Sana Qureshi"]),
    ("Reporting by Sana Qureshi", ["Sana Qureshi"]),
    ("Written by Sana Qureshi", ["Sana Qureshi"]),
    ("Sana Qureshi; Edited by Imran Malik", ["Sana Qureshi"]),
    ("Reporting by Sana Qureshi; Editing by Imran Malik", ["Sana Qureshi"]),
    ("By Sana Qureshi and Bilal Ahmed", ["Sana Qureshi", "Bilal Ahmed"]),
    ("Sana Qureshi & Bilal Ahmed", ["Sana Qureshi", "Bilal Ahmed"]),
    ("Sana Qureshi, Bilal Ahmed; Nadia Khan", ["Sana Qureshi", "Bilal Ahmed", "Nadia Khan"]),
])
def test_prefixes_and_splitting(byline: str, expected: list[str]) -> None:
    assert clean_authors([byline])[0] == expected


@pytest.mark.parametrize("noise", ["Staff Reporter", "Our Correspondent", "Web Desk", "News Desk",
                                   "Special Correspondent"])
def test_noise_bylines_give_no_person(noise: str) -> None:
    assert clean_authors([noise]) == ([], None)


def test_emails_handles_and_dates_are_dropped() -> None:
    names, _ = clean_authors(["Sana Qureshi sana@ledger.example @sanaq | Updated 12 March 2024"])
    assert names == ["Sana Qureshi"]


def test_name_with_role_suffix() -> None:
    assert clean_authors(["Bilal Ahmed, Correspondent"])[0] == ["Bilal Ahmed"]


@pytest.mark.parametrize("agency", ["AFP", "Reuters", "AP", "PTI", "IANS", "APP", "UNB", "ANI"])
def test_agency_bylines_are_kept(agency: str) -> None:
    assert clean_authors([f"By {agency}"])[0] == [agency]


def test_person_and_agency_together() -> None:
    assert clean_authors(["Sana Qureshi with AFP"])[0] == ["Sana Qureshi", "AFP"]


def test_outlet_byline_is_flagged() -> None:
    assert clean_authors(["Valley Ledger"], ["Valley Ledger"]) == ([], "Valley Ledger")


def test_outlet_byline_on_page() -> None:
    head = '<meta name="author" content="Valley Ledger">'
    result = extract(page(head), "https://ledger.example/news/x", make_source())
    assert result.byline_is_outlet is True
    assert result.authors == []


def test_outlet_byline_from_site_name() -> None:
    head = ('<meta property="og:site_name" content="The Morning Courier">'
            '<meta name="author" content="Morning Courier">')
    result = extract(page(head), "https://courier.example/news/x")
    assert result.byline_is_outlet is True


def test_byline_element_on_page() -> None:
    body = '<h1>Story</h1><p class="byline">By Nadia Khan and APP</p>'
    result = extract(page(body=body), "https://ledger.example/news/x", make_source())
    assert result.authors == ["Nadia Khan", "APP"]
    assert result.provenance["authors"] == "text"
