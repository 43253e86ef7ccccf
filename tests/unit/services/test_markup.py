"""What the markup says: titles by agreement, authors, dates kept apart, the URL's date."""

from __future__ import annotations

from datetime import UTC, datetime

from trafilatura.utils import load_html

from newsflow_strip.markup import choose_title, clean_names, page_metadata, url_date, without_site_name


def test_the_site_name_leaves_the_title():
    assert without_site_name("Ministers meet in Kyiv | Daily Example", ["Daily Example"]) == "Ministers meet in Kyiv"
    assert without_site_name("Daily Example - Ministers meet in Kyiv", ["Daily Example"]) == "Ministers meet in Kyiv"
    assert without_site_name("Ministers meet in Kyiv - World", []) == "Ministers meet in Kyiv"
    assert without_site_name("Left - right: a debate", ["Other"]) == "Left - right: a debate"


def test_the_title_most_candidates_agree_on_wins():
    og, h1, title = "Ministers meet, and agree (VIDEO)", "Ministers meet, and agree", "Ministers meet, and agree"
    assert choose_title([og, None, h1, title]) == h1
    assert choose_title(["A social-card teaser", None, "The headline", "The headline"]) == "The headline"
    assert choose_title([None, None, None, None]) is None


def test_author_strings_become_names():
    assert clean_names(["By Jane Doe and John Roe"]) == ["Jane Doe", "John Roe"]
    assert clean_names(["Von Max Muster, Redaktion", "staff"]) == ["Max Muster"]
    assert clean_names(["jane@example.com", "https://example.com/jane"]) == []


def test_a_date_in_the_url_is_noon_of_that_day():
    assert url_date("https://a.example/2024/03/05/story") == datetime(2024, 3, 5, 12, tzinfo=UTC)
    assert url_date("https://a.example/news/20240305-story") == datetime(2024, 3, 5, 12, tzinfo=UTC)
    assert url_date("https://a.example/2024/13/05/story") is None
    assert url_date("https://a.example/story-1234") is None


def test_page_metadata_reads_json_ld_authors_by_reference_and_keeps_published_and_modified_apart():
    html = """<html><head><title>Storm hits coast | Coast News</title>
    <meta property="og:site_name" content="Coast News">
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "Person", "@id": "#p1", "name": "Ana Lima"},
      {"@type": "NewsArticle", "headline": "Storm hits coast", "author": [{"@id": "#p1"}],
       "datePublished": "2024-03-05", "dateModified": "2024-03-06T08:00:00+01:00"}]}</script>
    </head><body><h1>Storm hits coast</h1><p>Text.</p></body></html>"""
    page = page_metadata(load_html(html), "https://coast.example/2024/03/05/storm")
    assert page.title == "Storm hits coast" and page.authors == ["Ana Lima"] and page.outlet == "Coast News"
    assert page.published == datetime(2024, 3, 5, 12, tzinfo=UTC), "a bare date: noon UTC"
    assert page.updated is not None and page.updated.isoformat() == "2024-03-06T08:00:00+01:00"


def test_without_any_date_markup_the_url_then_the_page_text_give_one():
    bare = "<html><head><title>Storm</title></head><body><h1>Storm</h1><p class='date'>5 March 2024</p></body></html>"
    assert page_metadata(load_html(bare), "https://coast.example/2024/03/04/storm").published == datetime(
        2024, 3, 4, 12, tzinfo=UTC
    )
    found = page_metadata(load_html(bare), "https://coast.example/storm").published
    assert found is not None and found.date().isoformat() == "2024-03-05", "htmldate's quick search"
