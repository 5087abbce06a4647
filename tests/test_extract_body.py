"""Body rules: chrome removal, comment forms, datelines, lead at the start, paragraphs."""

from __future__ import annotations

import pytest

from scrapers.extract import extract
from scrapers.extract.body import clean_paragraphs
from scrapers.extract.chrome import is_chrome
from scrapers.extract.dateline import split_dateline
from tests.sources_helpers import make_source
from tests.test_extract_helpers import FIXTURES, page


@pytest.fixture(scope="module")
def graph_article():
    """The full fixture page, extracted once."""
    html = (FIXTURES / "article_graph.html").read_bytes()
    return extract(html, "https://ledger.example/news/canal-repairs-finish", make_source("ledger"))


@pytest.mark.parametrize("line", [
    "Advertisement", "AdSense Advertisement", "Dark Mode", "Logo", "Read more: Water board plan",
    "Also read: Canal work begins", "Share Facebook Twitter WhatsApp", "Photo: Valley Ledger",
    "File photo", "(File photo)", "Sign up for our newsletter", "\xa0", "Leave a Reply",
    "यह भी पढ़ें: नई योजना", "یہ بھی پڑھیں: نیا منصوبہ", "আরও পড়ুন: নতুন পরিকল্পনা",
])
def test_chrome_lines(line: str) -> None:
    assert is_chrome(line)


def test_article_text_is_not_chrome() -> None:
    assert not is_chrome("The board said the photo exhibition would open on Friday in the hall.")


def test_fixture_drops_chrome(graph_article) -> None:
    body = graph_article.body
    for chrome in ("Dark Mode", "Logo", "AdSense", "Read more", "Photo:", "Reply From", "Comment",
                   "Share"):
        assert chrome not in body


def test_fixture_paragraphs_joined_by_blank_line(graph_article) -> None:
    paragraphs = graph_article.body.split("\n\n")
    assert len(paragraphs) == 6
    assert all(p.strip() == p and p for p in paragraphs)


def test_fixture_title_not_repeated_in_body(graph_article) -> None:
    assert "Canal repairs finish ahead of sowing season" not in graph_article.body


def test_fixture_lead_kept_at_body_start(graph_article) -> None:
    assert graph_article.lead.startswith("Engineers reopened the western canal")
    assert graph_article.body.startswith(graph_article.lead)


def test_fixture_dateline_moved_out(graph_article) -> None:
    assert graph_article.dateline == "MULTAN"
    assert "MULTAN" not in graph_article.body
    assert "Irrigation engineers reopened the western feeder canal" in graph_article.body


def test_title_twice_at_start_is_dropped() -> None:
    assert clean_paragraphs(["Big News", "Big news", "Text here."], "Big News") == ["Text here."]


def test_comment_form_cut_at_the_end() -> None:
    paragraphs = ["One.", "Two.", "Three.", "Leave a Reply",
                  "Your email address will not be published."]
    assert clean_paragraphs(paragraphs) == ["One.", "Two.", "Three."]


def test_comment_count_line_starts_the_form_but_a_sentence_about_comments_does_not() -> None:
    assert clean_paragraphs(["One.", "Two.", "Three.", "12 Comments", "Great story!"]) == [
        "One.", "Two.", "Three."]
    text = ["One.", "Two.", "12 comments were received by the commission.", "Three."]
    assert clean_paragraphs(text) == text


def test_author_bio_at_end_is_dropped() -> None:
    paragraphs = ["One.", "Two.", "Sana Qureshi is a reporter covering farming."]
    assert clean_paragraphs(paragraphs, authors=["Sana Qureshi"]) == ["One.", "Two."]


def test_leading_byline_and_date_lines_dropped() -> None:
    paragraphs = ["By Sana Qureshi", "12 March 2024, 10:30", "The text begins here today."]
    assert clean_paragraphs(paragraphs) == ["The text begins here today."]


@pytest.mark.parametrize(("paragraph", "place"), [
    ("ISLAMABAD - The cabinet approved the plan on Monday after a long debate.", "ISLAMABAD"),
    ("NEW DELHI: The ministry released new figures on Tuesday for the sector.", "NEW DELHI"),
    ("Dhaka, Nov 20 (SAW) – The ministry announced a new plan today for growers.", "DHAKA"),
    ("Lahore, Nov 21 (XYZ) -- Officials reopened the canal road this morning.", "LAHORE"),
    ("KATHMANDU, March 5 (RSS): Officials opened the new bridge over the river.", "KATHMANDU"),
    ("नई दिल्ली: मंत्रालय ने आज नई योजना की घोषणा की है।", "नई दिल्ली"),
])
def test_datelines(paragraph: str, place: str) -> None:
    found, rest = split_dateline(paragraph)
    assert found == place
    assert not rest.startswith((":", "-", "–"))


def test_no_dateline_in_ordinary_sentence() -> None:
    assert split_dateline("Explained: why the canal closed early this year")[0] is None


def test_nbsp_spacer_paragraphs_dropped() -> None:
    body = "<p>&nbsp;</p><p> &nbsp; </p>"
    result = extract(page(body=body), "https://ledger.example/news/x", make_source("ledger"))
    assert "\n\n\n" not in result.body
    assert all(p.strip() for p in result.body.split("\n\n"))


def test_body_selector_override() -> None:
    body = '<div class="story"><p>First chosen paragraph.</p><p>Second chosen paragraph.</p></div>'
    source = make_source("ledger", extraction={"body": "div.story"})
    result = extract(page(body=body), "https://ledger.example/news/x", source)
    assert result.body == "First chosen paragraph.\n\nSecond chosen paragraph."
    assert result.provenance["body"] == "selector"


def test_printed_description_below_headline_stays_at_body_start() -> None:
    lead = "Officials say the new canal gates will end the water shortage in the south."
    head = f'<meta property="og:description" content="{lead}">'
    body = f'<h1>Canal gates</h1><p class="kicker-text">{lead}</p>'
    result = extract(page(head, body), "https://ledger.example/news/canal", make_source("ledger"))
    assert result.body is not None and result.body.startswith(lead + "\n\n")
    assert result.lead == lead


def test_double_dash_dateline_leaves_no_dash() -> None:
    found, rest = split_dateline("MULTAN, Nov 21 (XYZ) -- The canal road reopened this morning.")
    assert found == "MULTAN"
    assert rest.startswith("The canal")


def test_embedded_social_posts_are_not_body() -> None:
    body = ('<h1>Canal</h1><blockquote class="twitter-tweet"><p>Quoted post text from someone'
            ' else entirely, about the canal gates.</p>&mdash; Someone (@someone)</blockquote>')
    result = extract(page(body=body), "https://ledger.example/news/canal", make_source("ledger"))
    assert result.body is not None and "Quoted post" not in result.body


def test_teaser_box_and_closing_list_dropped() -> None:
    paragraphs = ["First paragraph of the story, long enough to count.", "Second paragraph here.",
                  "Most read", "Minister resigns over canal row", "Storm hits the coast",
                  "Third paragraph of the story continues.", "Fourth paragraph.",
                  "More from The Ledger", "Another story teaser."]
    assert clean_paragraphs(paragraphs) == [
        "First paragraph of the story, long enough to count.", "Second paragraph here.",
        "Third paragraph of the story continues.", "Fourth paragraph."]


@pytest.mark.parametrize("heading", ["संबंधित खबरें", "सम्बन्धित समाचार", "সম্পর্কিত খবর",
                                     "متعلقہ خبریں", "सबसे ज्यादा पढ़ी गई खबरें", "সর্বাধিক পঠিত"])
def test_teaser_box_in_south_asian_languages_dropped(heading: str) -> None:
    paragraphs = ["नहर के फाटक दो साल बाद फिर खुले और किसानों तक पानी पहुंचा।", "दूसरा अनुच्छेद।",
                  heading, "मंत्री ने इस्तीफा दिया", "तट पर तूफान",
                  "तीसरा अनुच्छेद जारी है।"]
    assert clean_paragraphs(paragraphs) == [
        "नहर के फाटक दो साल बाद फिर खुले और किसानों तक पानी पहुंचा।", "दूसरा अनुच्छेद।",
        "तीसरा अनुच्छेद जारी है।"]


@pytest.mark.parametrize("line", [
    "शेयर करें", "सेयर गर्नुहोस्", "শেয়ার করুন", "شیئر کریں", "हमें फॉलो करें",
    "\u09b6\u09c7\u09df\u09be\u09b0",  # Bengali "share" spelt with the precomposed "য়"
])
def test_share_and_follow_lines_in_south_asian_languages(line: str) -> None:
    assert is_chrome(line)


def test_sentence_with_a_devanagari_stop_after_a_teaser_box_is_text() -> None:
    paragraphs = ["पहला अनुच्छेद काफी लंबा है ताकि गिना जाए।", "दूसरा।", "Most read",
                  "मंत्री ने इस्तीफा दिया", "नहर का पानी खेतों तक पहुंचा।"]
    assert clean_paragraphs(paragraphs)[-1] == "नहर का पानी खेतों तक पहुंचा।"


def test_missed_paragraph_of_main_container_restored() -> None:
    from lxml import html as lxml_html

    from scrapers.extract.main_block import fill_from_container, main_blocks

    texts = ["The council opened the new canal gates on Monday after two years of work.",
             "Farmers downstream said the water reached their fields within a few hours.",
             "Engineers will inspect the embankments every week until the monsoon ends.",
             "A second set of gates further south is due to be finished next spring."]
    tree = lxml_html.document_fromstring(
        "<html><body><div class='story'>" + "".join(f"<p>{t}</p>" for t in texts)
        + "</div></body></html>")
    assert fill_from_container([texts[0], texts[1], texts[3]], main_blocks(tree)) == texts


def test_line_break_inside_paragraph_separates_words() -> None:
    from lxml import etree

    from scrapers.extract.cascade import tree_paragraphs

    body = etree.fromstring("<body><p>Amina Rauf<lb/>Hyderabad</p><p>Plain text.</p></body>")
    assert tree_paragraphs(body) == ["Amina Rauf Hyderabad", "Plain text."]


_LIVE_ENTRIES = [
    ("Gates open at dawn", "Crowds gathered at the canal head before sunrise to watch the gates "
     "open for the first time this season."),
    ("Minister arrives", "The irrigation minister reached the site by boat and spoke briefly to "
     "the farmers waiting on the embankment."),
    ("Water reaches the villages", "By noon the first villages downstream reported water in "
     "their channels, hours earlier than expected."),
]


def _live_page(entries: list[tuple[str, str]], extra_jsonld: int = 0) -> str:
    """A live page: a summary, then one block per entry (time, headline, text), JSON-LD updates."""
    import json

    updates = [{"@type": "BlogPosting", "headline": h, "articleBody": t} for h, t in entries]
    updates += [{"@type": "BlogPosting", "headline": f"Older update {n}",
                 "articleBody": f"An older update number {n} that the page no longer shows, "
                                "kept only in the structured data."} for n in range(extra_jsonld)]
    data = {"@context": "https://schema.org", "@type": "LiveBlogPosting",
            "headline": "Canal gates open: live", "liveBlogUpdate": updates}
    posts = "".join(
        f'<div class="post"><span class="time">9:{n}0AM</span><h3>{h}</h3><p>{t}</p></div>'
        for n, (h, t) in enumerate(entries))
    return (f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head>'
            f'<body><main><div class="summary"><p>{FILLER_SUMMARY}</p></div>'
            f'<section class="stream">{posts}</section></main></body></html>')


FILLER_SUMMARY = ("The western canal gates opened on Monday after two years of repairs, and water "
                  "reached the first villages by noon, officials said.")


def test_live_blog_entries_added_under_their_headlines_when_trafilatura_kept_the_summary() -> None:
    from lxml import html as lxml_html

    from scrapers.extract.liveblog import fill_live_blog, live_entries
    from scrapers.extract.metadata import read_metadata

    tree = lxml_html.document_fromstring(_live_page(_LIVE_ENTRIES, extra_jsonld=3))
    entries = live_entries(read_metadata(tree).jsonld)
    assert len(entries) == 6
    out = fill_live_blog([FILLER_SUMMARY], tree, entries)
    # only the entries printed on the page, in page order, each under its headline
    assert out == [FILLER_SUMMARY] + [x for pair in _LIVE_ENTRIES for x in pair]


def test_live_blog_headline_put_back_and_dropped_entry_restored_in_place() -> None:
    from lxml import html as lxml_html

    from scrapers.extract.liveblog import fill_live_blog, live_entries
    from scrapers.extract.metadata import read_metadata

    tree = lxml_html.document_fromstring(_live_page(_LIVE_ENTRIES))
    entries = live_entries(read_metadata(tree).jsonld)
    kept = [FILLER_SUMMARY, _LIVE_ENTRIES[0][0], _LIVE_ENTRIES[0][1], _LIVE_ENTRIES[2][1]]
    out = fill_live_blog(kept, tree, entries)
    assert out == [FILLER_SUMMARY] + [x for pair in _LIVE_ENTRIES for x in pair]


def test_live_blog_already_complete_is_unchanged() -> None:
    from lxml import html as lxml_html

    from scrapers.extract.liveblog import fill_live_blog, live_entries
    from scrapers.extract.metadata import read_metadata

    tree = lxml_html.document_fromstring(_live_page(_LIVE_ENTRIES))
    complete = [FILLER_SUMMARY] + [x for pair in _LIVE_ENTRIES for x in pair]
    assert fill_live_blog(complete, tree, live_entries(read_metadata(tree).jsonld)) == complete


@pytest.mark.parametrize("line", [
    "Latest Videos", "कॉपी लिंक",
    "We independently review products. Buying through our links may earn us a commission.",
    "Enjoying this story? Log in or create an account to continue",
    "Want more? Start your Ledger Plus subscription today.",
    "By submitting your information, you agree to the Terms and confirm you are over 16.",
    "Is the canal flooding near you? Get in touch at desk@ledger.example",
    "This is a breaking news story - more to follow",
    "Sana Qureshi 5 minutes ago", "Dylan Jones5 hours ago", "Updated 2 hours ago",
])
def test_more_chrome_lines(line: str) -> None:
    assert is_chrome(line)


def test_article_sentences_with_promo_words_are_not_chrome() -> None:
    for line in ("Officials said the canal would earn the district more than it cost within "
                 "five years, and more repairs were to follow in the spring.",
                 "The farmers got in touch with the council two days ago.",
                 "Our standards of water safety are the strictest, the minister said."):
        assert not is_chrome(line)


@pytest.mark.parametrize("markup", [
    '<p>Our Standards: <a href="/about-us/trust-principles.html">The Ledger Principles.</a></p>',
    '<p>Read our <a href="https://ledger.example/policies/ethics">code of ethics</a>.</p>',
    '<p><a href="/corrections">Found an error? See our corrections policy</a></p>',
])
def test_line_linking_to_a_policy_page_is_not_body(markup: str) -> None:
    result = extract(page(body=f"<h1>Canal</h1>{markup}"), "https://ledger.example/news/canal")
    assert result.body is not None and "met on day 4" in result.body
    assert "Our Standards" not in result.body and "ethics" not in result.body
    assert "corrections" not in result.body


def test_sentence_with_a_link_to_a_news_story_is_body() -> None:
    markup = ('<p>Our standards of water safety are <a href="/news/water-rules">the strictest</a>,'
              ' the minister said.</p>')
    result = extract(page(body=f"<h1>Canal</h1>{markup}"), "https://ledger.example/news/canal")
    assert result.body is not None and "Our standards of water safety" in result.body


@pytest.mark.parametrize("line", [
    "Police said the suspect had fled the city 2 days ago",
    "He resigned 5 days ago",
])
def test_sentence_ending_in_a_relative_time_is_not_chrome(line: str) -> None:
    assert not is_chrome(line)


@pytest.mark.parametrize("line", [
    "var slot = googletag.defineSlot('/1/top', [728, 90], 'div-top');",
    "googletag.cmd.push(function() { googletag.display('div-top'); });",
    ".ad-slot { display: none; }", "window.dataLayer = window.dataLayer || [];",
    "__tcfapi('addEventListener', 2, onConsent);",
])
def test_leaked_script_and_style_are_chrome(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize("line", [
    "The budget allocates Rs 40 billion to schools, clinics and rural roads;",
    "The court heard that the law was vague; that it was applied late; and that it was unfair;",
    "The fine was raised from Rs 500 to Rs 5,000 (about $18);",
])
def test_sentence_ending_in_a_semicolon_is_not_chrome(line: str) -> None:
    assert not is_chrome(line)


@pytest.mark.parametrize("line", [
    "Watch: Flood waters rise in Multan", "Watch: Crowds fill the square.",
    "Listen: The full interview", "Photo: Valley Ledger", "Photo: AFP via Getty Images",
    "Photograph: Sana Qureshi/The Valley Ledger",
    "Sana Qureshi at the canal gates Credit: Imran Malik/Valley Ledger",
])
def test_media_labels_and_credits_are_chrome(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize("line", [
    "Watch: the video shows the flood waters rising",
    "Photo: the minister visits the flooded area on Monday, a day after the rains",
    "The council released a statement along with the image: a map of the flooded area",
])
def test_sentences_after_a_media_label_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


@pytest.mark.parametrize("line", [
    "Sign up for our free email newsletter, and we'll keep you in the loop.",
    "Ground Game: Sign up for the Ledger's weekly politics newsletter.",
    "Enjoy our flagship newsletter as a digest delivered once a week.",
    "For the latest news from the valley, sign up for our newsletters.",
    "Subscribe to Ledger Plus to bookmark this article", "More to follow.",
])
def test_sign_up_boxes_are_chrome(line: str) -> None:
    assert is_chrome(line)


@pytest.mark.parametrize("line", [
    "The ministry's weekly newsletter reported a rise in dengue cases in the capital.",
    "Farmers can sign up for the scheme at the district office until 30 November.",
    "Our newsletter reaches 10,000 farmers, the co-operative's director said.",
    "The first batch of vaccines arrived on Monday, with more to follow.",
])
def test_sentences_about_newsletters_and_what_follows_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


@pytest.mark.parametrize("line", [
    "You are using a browser version with limited support for CSS. Turn off compatibility mode.",
    "You are using an outdated browser. Please upgrade your browser to read the Ledger.",
    "Please enable JavaScript to view this page.",
])
def test_browser_notices_are_chrome(line: str) -> None:
    assert is_chrome(line)


def test_author_bio_under_short_name_or_after_a_description() -> None:
    paragraphs = ["One.", "Two.",
                  "A veteran farm reporter, Sana has covered irrigation since the old canal days.",
                  "Sana Qureshi makes regular appearances on regional radio."]
    assert clean_paragraphs(paragraphs, authors=["Sana Qureshi"]) == ["One.", "Two."]
    bio = "Bilal Ahmed Qureshi is a reporter who covers farming for the paper."
    assert clean_paragraphs([bio, "One."], authors=["Sana Qureshi"]) == ["One."]


def test_printed_description_found_in_deeper_layout_and_behind_a_label() -> None:
    lead = "Officials say the new canal gates will end the water shortage in the south this year."
    head = f'<meta property="og:description" content="{lead}">'
    body = (f"<div><div><div><div><h1>Canal gates</h1></div></div></div>"
            f"<div><div><p>(Farm Desk){lead}</p></div></div></div>")
    result = extract(page(head, body), "https://ledger.example/news/canal", make_source("ledger"))
    assert result.body is not None and result.body.startswith(f"(Farm Desk){lead}\n\n")


_RIVER = ["The irrigation board met in the hill town on Wednesday to settle the dispute over the "
          "canal intake, which has left lower villages short of water for three summers.",
          "Board members from both districts agreed that the intake gates will be opened on a "
          "fixed weekly rota, posted at the village offices and read out at the markets.",
          "A retired engineer who designed the canal said the gates were never meant to stay "
          "shut for longer than a few days, and that the silt behind them must be cleared.",
          "The lower villages will receive extra water during the sowing weeks, when the wheat "
          "seed has to go into wet ground or the whole season is lost for the smallholders.",
          "Farmers upstream asked for compensation for the fields they will no longer be able "
          "to flood in the dry months; the board said it would study the request in spring.",
          "The district officer will report to the provincial government on how the rota works "
          "after its first month, and the board will meet again before the monsoon arrives.",
          "Until then, a committee of three farmers from each district will keep the keys to "
          "the gate house and log every opening in a book kept at the canal office."]


def _river_page(paragraphs: list[str]) -> str:
    menu = "".join(f"<div><a href='/topic/{i}'>Topic {i}</a></div>" for i in range(40))
    text = "".join(f"<p>{p}</p><div class='ad-slot'>Advertisement</div>" for p in paragraphs)
    return (f"<html><head><title>Canal rota agreed</title></head><body><div class='top'>{menu}"
            f"</div><div class='story-wrap'><h1>Canal rota agreed</h1><div class='text'>{text}"
            "</div></div><div class='bottom'>Copyright 2026 Hill Daily.</div></body></html>")


def test_fast_trafilatura_pass_is_kept_when_it_agrees_with_the_main_container() -> None:
    from scrapers.extract.article import parse_tree
    from scrapers.extract.cascade import (
        _trafilatura_paragraphs,
        needs_full_cascade,
        run_trafilatura,
    )
    from scrapers.extract.main_block import main_blocks

    tree = parse_tree(_river_page(_RIVER))
    fast = _trafilatura_paragraphs(tree, None, fast=True)
    assert fast == _RIVER
    assert not needs_full_cascade(fast, main_blocks(tree))
    assert run_trafilatura(tree, None, main_blocks(tree)) == _RIVER


def test_thin_or_stray_fast_result_needs_trafilatura_full_cascade() -> None:
    from scrapers.extract.article import parse_tree
    from scrapers.extract.cascade import is_thin, needs_full_cascade
    from scrapers.extract.main_block import main_blocks

    main = main_blocks(parse_tree(_river_page(_RIVER)))
    assert main is not None and main.texts == _RIVER
    assert is_thin(_RIVER[:2]), "two paragraphs"
    assert is_thin([p[:80] for p in _RIVER]), "seven short paragraphs, under 1,000 characters"
    assert needs_full_cascade(_RIVER[:2], main)
    # Long enough, but the text is not the main container's: the fast pass picked other blocks.
    stray = [" ".join(f"Topic {i} of the menu bar, linked to its own index page." for i in
                      range(k, k + 4)) for k in range(0, 24, 4)]
    assert not is_thin(stray)
    assert needs_full_cascade(stray, main)
    # Without a clear main container only thinness decides.
    assert not needs_full_cascade(stray, None)
    assert needs_full_cascade(_RIVER[:2], None)


def test_short_article_goes_through_the_full_cascade_and_keeps_its_text() -> None:
    from scrapers.extract.article import parse_tree
    from scrapers.extract.cascade import _trafilatura_paragraphs, run_trafilatura
    from scrapers.extract.main_block import main_blocks

    tree = parse_tree(_river_page(_RIVER[:2]))
    full = _trafilatura_paragraphs(tree, None, fast=False)
    assert run_trafilatura(tree, None, main_blocks(tree)) == full == _RIVER[:2]


def test_drop_embeds_removes_social_posts_and_keeps_quotes() -> None:
    from scrapers.extract.article import parse_tree
    from scrapers.extract.embeds import drop_embeds

    tree = parse_tree(
        "<html><body><blockquote class='instagram-media big'><p>Shared picture text</p>"
        "</blockquote><div class='fb-post wide'>Shared status text</div>"
        "<div class='fb-posts-list'>A list of posts stays</div>"
        "<blockquote class='pull-quote'>We will open the gates, said the engineer.</blockquote>"
        "<p class='note tiktok-embed'>Not a blockquote: stays</p></body></html>")
    drop_embeds(tree)
    text = tree.text_content()
    assert "Shared picture" not in text and "Shared status" not in text
    assert "A list of posts stays" in text and "said the engineer" in text
    assert "Not a blockquote" in text


def test_trafilatura_leaves_the_parsed_tree_untouched() -> None:
    """extract() hands its own tree to trafilatura when there are no embeds to drop."""
    from lxml import etree

    from scrapers.extract.article import parse_tree
    from scrapers.extract.cascade import run_trafilatura
    from scrapers.extract.embeds import embeds
    from scrapers.extract.main_block import main_blocks

    tree = parse_tree(_river_page(_RIVER[:2]).replace(
        "</body>", "<div id='comments'><p>First comment here</p></div></body>"))
    before = etree.tostring(tree)
    assert embeds(tree) == []
    assert run_trafilatura(tree, None, main_blocks(tree)) == _RIVER[:2]  # thin: both passes ran
    assert etree.tostring(tree) == before


def test_html_text_skips_scripts_styles_and_comments() -> None:
    from scrapers.extract.article import parse_tree
    from scrapers.extract.main_block import html_text

    tree = parse_tree("<html><body><p>One<!-- note --> two <b>three</b>&nbsp;four</p>"
                      "<p>Five <script>var x = 1;</script>six<style>p {}</style> seven</p>"
                      "</body></html>")
    first, second = tree.iter("p")
    assert html_text(first) == "One two three four"
    assert html_text(second) == "Five six seven"


def test_main_blocks_positions_follow_the_paragraphs_asked_about() -> None:
    from scrapers.extract.article import parse_tree
    from scrapers.extract.main_block import main_blocks

    main = main_blocks(parse_tree(_river_page(_RIVER)))
    assert main is not None
    assert main.positions(_RIVER) == list(range(len(_RIVER)))
    assert main.positions(_RIVER) == list(range(len(_RIVER)))  # asked again: same answer
    merged = [" ".join(_RIVER[:2]), *_RIVER[2:4]]
    assert main.positions(merged) == [0, 0, 1, 2] + [None] * (len(_RIVER) - 4)
