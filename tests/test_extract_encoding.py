"""Page decoding in the WHATWG order (BOM, HTTP charset, meta, detection), on pages shaped like
the legacy-charset outlets of the region: Dari and Urdu in windows-1256, Hindi in UTF-8 behind a
server default of ISO-8859-1, a CMS excerpt cut inside a UTF-8 sequence."""

from __future__ import annotations

import codecs

import pytest

from scrapers.extract import extract
from scrapers.extract.encoding import decode_page, header_charset, looks_binary

# A short Dari news line as Afghan outlets still serve it: windows-1256, Arabic yeh, a ZWNJ.
DARI = "باران تند امروز در کابل چند سرک را بست و شاروالي گفت کار پاک\u200cکاري ادامه دارد."
HINDI = "दिल्ली में आज सुबह घना कोहरा छाया रहा और कई उड़ानें देर से चलीं।"


def dari_page(meta: str = "") -> bytes:
    """A small windows-1256 article page with no charset of its own unless ``meta`` is given."""
    return (
        f"<!DOCTYPE html><html dir=\"rtl\" lang=\"fa-AF\"><head>{meta}"
        "<title>باران در کابل</title></head><body><div class=\"news-body\">"
        f"<p>{DARI}</p></div></body></html>"
    ).encode("cp1256")


def test_a_short_windows_1256_page_decodes_by_its_http_header() -> None:
    page = decode_page(dari_page(), "text/html; charset=windows-1256")
    assert DARI in page.text
    assert (page.encoding, page.chosen_by, page.replaced) == ("cp1256", "header", 0)


@pytest.mark.parametrize("content_type", [
    "text/html;charset=\"Windows-1256\"", "text/html; Charset=windows-1256; format=flowed",
    b"text/html; charset=windows-1256",
])
def test_header_charset_labels_are_read_however_they_are_spelt(content_type: object) -> None:
    assert header_charset(content_type) == "cp1256"  # type: ignore[arg-type]
    assert DARI in decode_page(dari_page(), content_type).text  # type: ignore[arg-type]


def test_the_header_beats_a_meta_tag_that_lies() -> None:
    body = dari_page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
    page = decode_page(body, "text/html; charset=windows-1256")
    assert DARI in page.text and page.chosen_by == "header"


def test_the_meta_tag_decides_without_a_header_charset() -> None:
    page = decode_page(dari_page('<meta charset="windows-1256">'), "text/html")
    assert DARI in page.text and page.chosen_by == "meta"


def test_a_bom_beats_the_header() -> None:
    body = codecs.BOM_UTF8 + f"<html><body><p>{HINDI}</p></body></html>".encode()
    page = decode_page(body, "text/html; charset=windows-1256")
    assert HINDI in page.text and page.chosen_by == "bom"


def test_a_utf16_page_with_a_bom_is_text_not_binary() -> None:
    body = codecs.BOM_UTF16_LE + f"<html><body><p>{HINDI}</p></body></html>".encode("utf-16-le")
    page = decode_page(body)
    assert HINDI in page.text
    assert not looks_binary(page.text)


def test_utf8_behind_a_latin1_server_default_is_read_as_utf8() -> None:
    body = f"<html><body><p>{HINDI}</p></body></html>".encode()
    page = decode_page(body, "text/html; charset=ISO-8859-1")
    assert HINDI in page.text and page.replaced == 0


def test_a_utf8_header_on_legacy_bytes_falls_through_to_detection() -> None:
    body = "<html><body><p>Café “Dhaba” – open again</p></body></html>".encode("cp1252")
    page = decode_page(body, "text/html; charset=utf-8")
    assert "Café “Dhaba” – open again" in page.text
    assert page.chosen_by == "detected" and page.replaced == 0


def test_one_cut_utf8_sequence_is_replaced_and_counted() -> None:
    body = f"<html><body><p>{HINDI}</p><p>".encode() + HINDI.encode()[:7] + b"</p></body></html>"
    page = decode_page(body, "text/html; charset=utf-8")
    assert HINDI in page.text
    assert page.replaced == 1
    assert page.text.count("\ufffd") == 1


def test_a_literal_replacement_character_is_not_counted() -> None:
    page = decode_page("<p>bad \ufffd byte</p>".encode(), "text/html; charset=utf-8")
    assert page.replaced == 0


def test_undefined_bytes_of_a_declared_charset_are_counted() -> None:
    page = decode_page(b"<p>price \x81 list</p>", "text/html; charset=windows-1252")
    assert page.replaced == 1


def test_extraction_of_the_decoded_text_keeps_the_dari_title_and_body() -> None:
    text = decode_page(dari_page(), "text/html; charset=windows-1256").text
    extracted = extract(text, "https://kabul-times.example/news/1")
    assert extracted.title == "باران در کابل"
    assert DARI.split()[0] in (extracted.body or "")
