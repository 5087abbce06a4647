"""Byline rules: prefixes, splitting, noise, agencies and the outlet as byline."""

from __future__ import annotations

import pytest

from scrapers.extract import extract
from scrapers.extract.authors import clean_authors
from tests.sources_helpers import make_source
from tests.test_extract_helpers import page


@pytest.mark.parametrize(("byline", "expected"), [
    ("By Sana Qureshi", ["Sana Qureshi"]),
    ("Reporting by Sana Qureshi", ["Sana Qureshi"]),
    ("Written by Sana Qureshi", ["Sana Qureshi"]),
    ("Sana Qureshi; Edited by Imran Malik", ["Sana Qureshi"]),
    ("Reporting by Sana Qureshi; Editing by Imran Malik", ["Sana Qureshi"]),
    ("By Sana Qureshi and Bilal Ahmed", ["Sana Qureshi", "Bilal Ahmed"]),
    ("Sana Qureshi & Bilal Ahmed", ["Sana Qureshi", "Bilal Ahmed"]),
    ("Sana Qureshi, Bilal Ahmed; Nadia Khan", ["Sana Qureshi", "Bilal Ahmed", "Nadia Khan"]),
    # "By" and "and" in other languages
    ("Von Lena Vogel und Jonas Brandt", ["Lena Vogel", "Jonas Brandt"]),
    ("Por Lucía Ramos y Diego Serrano", ["Lucía Ramos", "Diego Serrano"]),
    ("Par Claire Dubois et Marc Lefèvre", ["Claire Dubois", "Marc Lefèvre"]),
    ("Av Ingrid Dahl og Erik Moen", ["Ingrid Dahl", "Erik Moen"]),
    ("Y Singh", ["Y Singh"]),  # an initial is no conjunction
    # writer and report labels in Hindi, Urdu and Bengali, before or after the name
    ("लेखक: अमित वर्मा", ["अमित वर्मा"]),
    ("अमित वर्मा द्वारा", ["अमित वर्मा"]),
    ("अमित वर्मा की रिपोर्ट", ["अमित वर्मा"]),
    ("تحریر: عائشہ ملک", ["عائشہ ملک"]),
    ("লেখক: রাকিব হাসান", ["রাকিব হাসান"]),
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
    result = extract(page(head), "https://ledger.example/news/x", make_source("ledger"))
    assert result.byline_is_outlet is True
    assert result.authors == []


def test_outlet_byline_from_site_name() -> None:
    head = ('<meta property="og:site_name" content="The Morning Courier">'
            '<meta name="author" content="Morning Courier">')
    result = extract(page(head), "https://courier.example/news/x")
    assert result.byline_is_outlet is True


def test_byline_element_on_page() -> None:
    body = '<h1>Story</h1><p class="byline">By Nadia Khan and APP</p>'
    result = extract(page(body=body), "https://ledger.example/news/x", make_source("ledger"))
    assert result.authors == ["Nadia Khan", "APP"]
    assert result.provenance["authors"] == "text"


@pytest.mark.parametrize("desk", [
    "Valley Ledger Bureau", "By Valley Ledger Sports Desk", "Metro Team", "नई दिल्ली ब्यूरो",
    "विशेष संवाददाता", "নিজস্ব প্রতিবেদক", "ویب ڈیسک", "اسٹاف رپورٹر", "काठमाडौं संवाददाता",
])
def test_desk_bylines_in_several_languages_give_no_person(desk: str) -> None:
    assert clean_authors([desk])[0] == []


def test_desk_then_place_gives_no_person() -> None:
    assert clean_authors(["নিজস্ব প্রতিবেদক, খুলনা"])[0] == []
    assert clean_authors(["Staff Reporter | Multan"])[0] == []


def test_outlet_desk_is_flagged_as_outlet() -> None:
    assert clean_authors(["Valley Ledger Bureau"], ["The Valley Ledger"]) == (
        [], "Valley Ledger Bureau")


@pytest.mark.parametrize("byline", [
    "North Plains Newswire (NPN)", "By North Plains Newswire (NPN)",
])
def test_agency_with_code_is_the_agency_name(byline: str) -> None:
    assert clean_authors([byline])[0] == ["North Plains Newswire"]


def test_parenthesised_non_code_is_not_taken_for_an_agency() -> None:
    assert clean_authors(["Sana Qureshi (Multan)"])[0] != ["Sana Qureshi (Multan"]


def test_name_in_place_drops_the_place() -> None:
    assert clean_authors(["By Sana Qureshi in Multan"])[0] == ["Sana Qureshi"]


@pytest.mark.parametrize("byline", ["By Nadia Khan", "नादिया ख़ान"])
def test_visible_byline_after_headline_without_metadata(byline: str) -> None:
    body = (f'<div class="post"><h1>Canal story</h1><div class="author-date">'
            f'<span class="author">{byline}</span> <span class="date">2024-03-12</span></div>'
            '<p>Text of the story.</p></div>')
    result = extract(page(body=body), "https://ledger.example/news/x")
    assert result.authors == [byline.removeprefix("By ")]


def test_author_bio_box_is_not_a_byline() -> None:
    body = ('<h1>Canal story</h1><p>Text.</p>'
            '<div class="author-bio">Nadia Khan covers water policy.</div>')
    assert extract(page(body=body), "https://ledger.example/news/x").authors == []


def test_outlet_byline_in_another_script() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Canal",'
            ' "author": {"@type": "Organization", "name": "The Valley Ledger"},'
            ' "publisher": {"@type": "Organization", "name": "The Valley Ledger"}}</script>')
    body = '<h1>Canal</h1><span class="byline">دی ویلی لیجر</span><p>Text.</p>'
    result = extract(page(head, body), "https://ledger.example/news/x")
    assert result.authors == []
    assert result.byline_is_outlet is True


@pytest.mark.parametrize(("byline", "expected"), [
    ("von Lena Vogel", ["Lena Vogel"]),
    ("par Claire Dubois", ["Claire Dubois"]),
    ("por Lucía Ramos", ["Lucía Ramos"]),
    ("di Marco Rossi e Giulia Bianchi", ["Marco Rossi", "Giulia Bianchi"]),
    ("Di Marco Rossi", ["Marco Rossi"]),
    ("Ursula von der Leyen", ["Ursula von der Leyen"]),  # a particle, not "by"
    ("von der Leyen", ["von der Leyen"]),
    ("Di Stefano", ["Di Stefano"]),  # a surname: one word after it
    ("از عائشہ ملک", ["عائشہ ملک"]),  # Urdu and Dari "by"
    ("نویسنده: احمد رحیمی", ["احمد رحیمی"]),  # Dari "writer:"
    ("گزارشگر: احمد رحیمی", ["احمد رحیمی"]),  # Dari "reporter:"
    ("لیکوال: احمد رحیمي", ["احمد رحیمي"]),  # Pashto "writer:"
    ("எழுதியவர்: கவிதா ராஜன்", ["கவிதா ராஜன்"]),  # Tamil "written by:"
    ("නිමල් පෙරේරා විසින්", ["නිමල් පෙරේරා"]),  # Sinhala "by", after the name
])
def test_by_in_other_languages_is_removed(byline: str, expected: list[str]) -> None:
    assert clean_authors([byline])[0] == expected


@pytest.mark.parametrize(("byline", "expected"), [
    ("Jane Roe (jr)", ["Jane Roe"]),
    ("Jane Roe (JR)", ["Jane Roe"]),
    ("Jane Roe (jr/dpa)", ["Jane Roe"]),
    ("Lena Vogel (lv), Jonas Brandt (jb)", ["Lena Vogel", "Jonas Brandt"]),
    ("Sana Qureshi (Multan)", ["Sana Qureshi (Multan)"]),  # a place, not initials
])
def test_staff_initials_in_parentheses_are_dropped(byline: str, expected: list[str]) -> None:
    assert clean_authors([byline])[0] == expected


@pytest.mark.parametrize("byline", [
    "Found a mistake? Let us know", "Spotted an error?", "Report a correction",
    "Follow us on X", "View all posts", "More from this author", "About the author",
    "गलती मिली? हमें बताएं", "ভুল পেলে জানান", "غلطی کی نشاندہی کریں", "हमें फॉलो करें",
])
def test_interface_strings_are_not_authors(byline: str) -> None:
    assert clean_authors([byline])[0] == []
    assert clean_authors(["Sana Qureshi", byline])[0] == ["Sana Qureshi"]


@pytest.mark.parametrize("byline", [
    "Politics", "World News", "Opinion", "Sport", "Business", "India News", "Breaking News",
    "राजनीति", "देश", "খেলা", "আন্তর্জাতিক", "سیاست", "کھیل", "खेलकुद",
])
def test_section_and_tag_words_are_not_authors(byline: str) -> None:
    assert clean_authors([byline])[0] == []


def test_names_that_contain_a_section_word_are_kept() -> None:
    assert clean_authors(["India Knight", "Opinion Editor Sana Qureshi"])[0] == [
        "India Knight", "Opinion Editor Sana Qureshi"]


@pytest.mark.parametrize(("byline", "outlets"), [
    ("Sana Qureshi, Valley Ledger News", ["Valley Ledger"]),
    ("Sana Qureshi | Valley Ledger Digital", ["The Valley Ledger"]),
    ("Sana Qureshi and Times of Multan", ["timesofmultan.example", "timesofmultan"]),
    ("Sana Qureshi, ValleyLedger.example", ["valleyledger.example", "valleyledger"]),
])
def test_outlet_spelt_another_way_is_not_an_author_beside_people(
        byline: str, outlets: list[str]) -> None:
    assert clean_authors([byline], outlets) == (["Sana Qureshi"], None)


def test_outlet_spelt_another_way_alone_is_the_outlet() -> None:
    assert clean_authors(["Times of Multan"], ["timesofmultan"]) == ([], "Times of Multan")


def test_agency_is_not_taken_for_the_outlet() -> None:
    assert clean_authors(["Sana Qureshi, AP"], ["apnews.example", "apnews"])[0] == [
        "Sana Qureshi", "AP"]


def test_writer_whose_name_is_the_site_name_stays_a_writer() -> None:
    assert clean_authors(["Jane Roe"], ["janeroe.example", "janeroe"]) == (["Jane Roe"], None)
