"""Page-level rules: article or not, unusable input, encodings, title suffixes, language."""

from __future__ import annotations

import pytest

from scrapers.extract import extract
from scrapers.extract.title import strip_site_suffix
from tests.sources_helpers import make_source
from tests.test_extract_helpers import FIXTURES, page

URL = "https://ledger.example/news/canal"


def test_fixture_article_fields() -> None:
    result = extract((FIXTURES / "article_graph.html").read_bytes(), URL, make_source("ledger"))
    assert result.is_article
    assert result.title == "Canal repairs finish ahead of sowing season"
    assert result.authors == ["Sana Qureshi", "Bilal Ahmed"]
    assert result.published_at.isoformat() == "2024-03-12T09:30:00+05:00"
    assert result.published_offset == "+05:00"
    assert result.language == "en"
    assert result.paywalled is False
    assert result.to_record()["published_at"] == "2024-03-12T09:30:00+05:00"


def test_tag_page_is_not_an_article() -> None:
    html = (FIXTURES / "tag_page.html").read_text(encoding="utf-8")
    result = extract(html, "https://ledger.example/tag/irrigation", make_source("ledger"))
    assert result.is_article is False
    assert result.provenance["is_article"].startswith("text:")


def test_links_page_without_type_is_not_an_article() -> None:
    links = "".join(f'<li><a href="/n/{i}">Headline number {i} about the canal</a></li>'
                    for i in range(40))
    html = f"<html><body><ul>{links}</ul><p>Short footer text.</p></body></html>"
    assert extract(html, "https://ledger.example/news/", make_source("ledger")).is_article is False


def test_untyped_long_dated_page_is_an_article() -> None:
    body = '<h1>Canal</h1><time datetime="2024-03-12T09:30:00+05:00">12 March</time>'
    assert extract(page(body=body, paragraphs=6), URL, make_source("ledger")).is_article is True


@pytest.mark.parametrize("html", ["", b"", b"\x00\x01\x02\x03binary\x00", "<html></html>",
                                  "<<<>>>", b"\xff\xfe\x00<\x00h"])
def test_unusable_input_never_raises(html: str | bytes) -> None:
    result = extract(html, URL, make_source("ledger"))
    assert result.is_article is False
    assert result.provenance["is_article"]


def test_utf8_bytes_without_declaration() -> None:
    html = page(body="<h1>Café déjà vu in Lahore</h1>").encode("utf-8")
    html = html.replace(b'charset="utf-8"', b"")
    assert extract(html, URL).title == "Café déjà vu in Lahore"


def test_windows_1252_bytes_declared() -> None:
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            "<title>Caf\u00e9 \u201cquoted\u201d \u2013 dash</title></head>"
            "<body><p>x</p></body></html>")
    assert extract(html.encode("cp1252"), URL).title == "Café “quoted” – dash"


def test_latin1_label_is_read_as_windows_1252() -> None:
    html = ('<html><head><meta charset="iso-8859-1"><title>\u2018Single\u2019 quotes</title>'
            "</head><body><p>x</p></body></html>")
    assert extract(html.encode("cp1252"), URL).title == "‘Single’ quotes"


def test_undeclared_legacy_bytes_fall_back_to_windows_1252() -> None:
    html = "<html><head><title>Na\u00efve \u20ac price</title></head><body><p>x</p></body></html>"
    assert extract(html.encode("cp1252"), URL).title == "Naïve € price"


def test_utf8_page_mislabelled_as_latin1_has_no_mojibake() -> None:
    html = ('<html><head><meta charset="iso-8859-1"><title>Lahore – café</title></head>'
            "<body><p>x</p></body></html>")
    assert extract(html.encode("utf-8"), URL).title == "Lahore – café"


def test_utf8_bom() -> None:
    html = "\ufeff<html><head><title>বাংলা শিরোনাম</title></head><body><p>x</p></body></html>"
    assert extract(html.encode("utf-8"), URL).title == "বাংলা শিরোনাম"


def test_xml_declaration_in_str_input() -> None:
    html = ('<?xml version="1.0" encoding="utf-8"?><html><head><title>X story</title></head>'
            "<body><p>x</p></body></html>")
    assert extract(html, URL).title == "X story"


@pytest.mark.parametrize(("raw", "expected"), [
    ("Canal opens | Valley Ledger", "Canal opens"),
    ("Canal opens - Valley Ledger", "Canal opens"),
    ("Valley Ledger | Canal opens", "Canal opens"),
    ("Canal opens — ledger.example", "Canal opens"),
    ("Explained - why the canal opens early", "Explained - why the canal opens early"),
])
def test_title_site_suffix(raw: str, expected: str) -> None:
    assert strip_site_suffix(raw, ["Valley Ledger"]) == expected


def test_title_html_entities_unescaped() -> None:
    head = '<meta property="og:title" content="Growers&#8217; &#039;early&#039; win">'
    assert extract(page(head), URL).title == "Growers’ 'early' win"


def test_language_uses_page_hint_for_same_script() -> None:
    nepali = "<p>काठमाडौं उपत्यकामा आज बिहानदेखि वर्षा भइरहेको छ र सडकमा पानी जमेको छ।</p>" * 3
    html = f'<html lang="ne"><body><article>{nepali}</article></body></html>'
    assert extract(html, URL).language == "ne"


def test_language_detected_from_body() -> None:
    urdu = "<p>شہر کی انتظامیہ نے آج سے دو نئے راستوں پر بس سروس شروع کر دی ہے۔</p>" * 3
    assert extract(f"<html><body><article>{urdu}</article></body></html>", URL).language == "ur"
