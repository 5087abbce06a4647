"""Metadata rules: JSON-LD variants, OpenGraph, article:*, Dublin Core, microdata, <time>."""

from __future__ import annotations

from scrapers.extract import extract
from scrapers.extract.metadata import flatten_jsonld, loads_lenient
from tests.sources_helpers import make_source
from tests.test_extract_helpers import page

URL = "https://ledger.example/news/canal"


def ld(text: str) -> str:
    """A JSON-LD script tag."""
    return f'<script type="application/ld+json">{text}</script>'


def test_jsonld_news_article() -> None:
    head = ld('{"@type":"NewsArticle","headline":"Canal opens","datePublished":'
              '"2024-03-12T09:30:00+05:00","author":{"@type":"Person","name":"Sana Qureshi"}}')
    result = extract(page(head), URL, make_source("ledger"))
    assert (result.title, result.authors) == ("Canal opens", ["Sana Qureshi"])
    assert result.provenance["title"] == "jsonld"
    assert result.provenance["published_at"] == "jsonld"


def test_jsonld_graph() -> None:
    head = ld('{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Ledger"},'
              '{"@type":"ReportageNewsArticle","headline":"Graph story",'
              '"datePublished":"2024-03-12T09:30:00+05:00"}]}')
    assert extract(page(head), URL, make_source("ledger")).title == "Graph story"


def test_jsonld_top_level_array_and_type_list() -> None:
    head = ld('[{"@type":"BreadcrumbList"},{"@type":["BlogPosting","Article"],'
              '"headline":"Array story","datePublished":"2024-03-12T09:30:00+05:00"}]')
    assert extract(page(head), URL, make_source("ledger")).title == "Array story"


def test_jsonld_broken_json_is_read_leniently() -> None:
    broken = """{
      // editor comment
      "@type": "Article",
      "headline": "Broken but readable",
      "description": "line one
line two",
      "datePublished": "2024-03-12T09:30:00+05:00",
    };"""
    assert loads_lenient(broken)["headline"] == "Broken but readable"
    assert extract(page(ld(broken)), URL, make_source("ledger")).title == "Broken but readable"


def test_jsonld_hopeless_json_does_not_raise() -> None:
    result = extract(page(ld('{"@type": "NewsArticle", "headline": ')), URL, make_source("ledger"))
    assert result.body
    assert result.title is None


def test_jsonld_main_entity_is_unwrapped() -> None:
    data = {"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "headline": "Inner"}}
    assert [o["@type"] for o in flatten_jsonld(data)] == ["WebPage", "NewsArticle"]


def test_opengraph_and_article_meta() -> None:
    head = ('<meta property="og:title" content="OG story | Valley Ledger">'
            '<meta property="og:type" content="article">'
            '<meta property="og:image" content="/i.jpg">'
            '<meta property="og:url" content="https://ledger.example/news/og">'
            '<meta property="article:published_time" content="2024-03-12T09:30:00+05:00">'
            '<meta property="article:section" content="Provinces">'
            '<meta property="article:tag" content="Water">')
    result = extract(page(head), URL, make_source("ledger"))
    assert result.title == "OG story"
    assert result.image_url == "https://ledger.example/i.jpg"
    assert result.canonical_url == "https://ledger.example/news/og"
    assert (result.section, result.tags) == ("Provinces", ["Water"])
    assert result.provenance["published_at"] == "opengraph"


def test_dublin_core_meta() -> None:
    head = ('<meta name="DC.date.issued" content="2024-03-12T09:30:00+05:00">'
            '<meta name="DC.creator" content="Sana Qureshi">')
    result = extract(page(head), URL, make_source("ledger"))
    assert result.published_at.isoformat() == "2024-03-12T09:30:00+05:00"
    assert result.authors == ["Sana Qureshi"]
    assert result.provenance["published_at"] == "meta"


def test_microdata() -> None:
    body = ('<div itemscope itemtype="https://schema.org/NewsArticle">'
            '<h1 itemprop="headline">Micro story</h1>'
            '<meta itemprop="datePublished" content="2024-03-12T09:30:00+05:00">'
            '<span itemprop="author" itemscope><span itemprop="name">Bilal Ahmed</span></span>'
            "</div>")
    result = extract(page(body=body), URL, make_source("ledger"))
    assert result.authors == ["Bilal Ahmed"]
    assert result.provenance["authors"] == "microdata"
    assert result.published_at.isoformat() == "2024-03-12T09:30:00+05:00"


def test_time_element() -> None:
    body = '<h1>Timed</h1><time datetime="2024-03-12T09:30:00+05:45">12 March</time>'
    result = extract(page(body=body), URL, make_source("ledger", timezone="Asia/Kathmandu"))
    assert result.published_offset == "+05:45"
    assert result.provenance["published_at"] == "text"


def test_canonical_link_wins_over_og_url() -> None:
    head = ('<link rel="canonical" href="/news/canal">'
            '<meta property="og:url" content="https://ledger.example/other">')
    assert extract(page(head), URL + "?ref=home", make_source("ledger")).canonical_url == URL


def test_paywall_from_jsonld() -> None:
    head = ld('{"@type":"NewsArticle","headline":"Locked","isAccessibleForFree":"False"}')
    result = extract(page(head), URL, make_source("ledger"))
    assert result.paywalled is True
    assert result.provenance["paywalled"] == "jsonld"


def test_paywall_marker_in_markup() -> None:
    result = extract(page(body='<div class="paywall-banner">Subscribe</div>'), URL,
                     make_source("ledger"))
    assert result.paywalled is True


def test_selector_override_wins() -> None:
    body = '<h1>Generic</h1><h2 class="real-title">Chosen by selector</h2>'
    source = make_source("ledger", extraction={"title": "h2.real-title",
                                               "authors": "xpath://span[@class='who']"})
    result = extract(page(body=body + '<span class="who">By Sana Qureshi</span>'), URL, source)
    assert result.title == "Chosen by selector"
    assert result.authors == ["Sana Qureshi"]
    assert result.provenance["title"] == result.provenance["authors"] == "selector"


def test_paywall_marker_in_an_id() -> None:
    result = extract(page(body='<div id="article-paywall">Log in to read on</div>'), URL,
                     make_source("ledger"))
    assert (result.paywalled, result.provenance["paywalled"]) == (True, "text")
    assert extract(page(), URL, make_source("ledger")).paywalled is False


def test_nodes_after_follow_document_order_as_tree_iter() -> None:
    from lxml import etree

    from scrapers.extract.article import parse_tree
    from scrapers.extract.nodes import nodes_after

    tree = parse_tree("<html><body><div><header><h1>Head <b>line</b></h1><!-- note --><p>Dek</p>"
                      "</header><span>by A</span></div><div><p>One</p><p>Two <i>x</i></p></div>"
                      "<footer>end</footer></body></html>")
    order = list(tree.iter())
    h1 = tree.find(".//h1")
    after = order[order.index(h1) + 1:]
    assert nodes_after(h1, 100) == after
    assert nodes_after(h1, 4) == after[:4]
    assert after[0].tag == "b" and after[1].tag is etree.Comment  # descendants, then comments


def test_parser_gives_html_elements_without_per_element_python_lookup() -> None:
    from lxml import html as lxml_html

    from scrapers.extract.article import parse_tree

    tree = parse_tree("<html><body><form><input name='q' value='x'></form><p>Text <b>here</b></p>"
                      "</body></html>")
    assert all(isinstance(el, lxml_html.HtmlElement) for el in tree.iter("p", "b", "input"))
    assert tree.find(".//p").text_content() == "Text here"
