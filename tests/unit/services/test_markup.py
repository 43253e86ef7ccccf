"""What the markup says: titles by agreement, authors, dates kept apart, the URL's date."""

from __future__ import annotations

from datetime import UTC, datetime

from trafilatura.utils import load_html

from newsflow_strip.markup import choose_title, clean_names, page_metadata, parse_date, url_date, without_site_name


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
    # A wire credited by its two letters is kept; other two-letter strings are too short for a name.
    assert clean_names(["Adam Vidler", "AP"]) == ["Adam Vidler", "AP"]
    assert clean_names(["By", "Jo"]) == []


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


def test_the_separators_a_title_keeps_stay_as_written_and_its_end_stays_when_the_headline_has_it():
    assert (
        without_site_name("BUDGET 3.0 | Sars gets R4bn | Times Live", ["Times Live"]) == "BUDGET 3.0 | Sars gets R4bn"
    )
    assert (
        without_site_name("Vädjar efter attackerna – ”kritiskt”", [], ["Vädjar efter attackerna – ”kritiskt”"])
        == "Vädjar efter attackerna – ”kritiskt”"
    )
    assert without_site_name("Vädjar efter attackerna – ”kritiskt”", []) == "Vädjar efter attackerna"


def test_titles_read_as_a_reader_sees_them_and_the_declared_headline_wins_a_tie():
    html = """<html><head><title>R&uuml;ckbau - News</title>
    <meta property="og:title" content="A social teaser">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "K&uuml;hlt&uuml;rme gesprengt",
      "datePublished": "2024-03-05"}</script></head>
    <body><h1>Helikopter\u00adlandeplatz</h1><p>Text.</p></body></html>"""
    assert page_metadata(load_html(html), "https://news.example/a").title == "Kühltürme gesprengt"
    assert choose_title(["Helikopter landeplatz", None, None, None]) == "Helikopter landeplatz"


def test_a_publisher_crediting_itself_gives_way_to_a_person_but_is_kept_when_no_one_else_is_named():
    site = """<html><head><meta property="og:site_name" content="Coast News">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Storm", "author": {"name": "Coast News"}}
    </script></head><body><h1>Storm</h1>{byline}<p>Text.</p></body></html>"""
    with_person = site.replace("{byline}", '<a href="/author/ana-lima/">Ana Lima</a>')
    assert page_metadata(load_html(with_person), "https://coast.example/storm").authors == ["Ana Lima"]
    alone = site.replace("{byline}", "")
    assert page_metadata(load_html(alone), "https://coast.example/storm").authors == ["Coast News"]
    assert clean_names(["Oliver Maksan (oma)", "sophie-foster"]) == ["Oliver Maksan"]


def test_dates_in_the_forms_markup_writes_them():
    assert parse_date("Thu, 04 May 2023 10:00:00 GMT") == datetime(2023, 5, 4, 10, tzinfo=UTC)
    assert parse_date("May 4, 2023 10:00 AM EDT") == datetime(2023, 5, 4, 14, tzinfo=UTC)
    assert parse_date("4 May 2023") == datetime(2023, 5, 4, 12, tzinfo=UTC)
    assert parse_date("04/05/2023") is None, "day and month order cannot be told"
    assert parse_date("1970-01-01") is None


def test_a_page_read_from_a_file_takes_its_site_and_url_date_from_its_canonical_link():
    html = """<html><head><link rel="canonical" href="https://www.lto.example/2024/03/05/ruling">
    <meta property="og:site_name" content="Legal Tribune Online"><meta name="author" content="LTO">
    </head><body><h1>Ruling</h1><p><a href="/autoren/name/max-kolter">Dr. Max Kolter</a></p></body></html>"""
    page = page_metadata(load_html(html), None)
    assert page.authors == ["Dr. Max Kolter"], "the site's initials are the site crediting itself"
    assert page.published == datetime(2024, 3, 5, 12, tzinfo=UTC)


def test_names_from_author_classes_seo_labels_and_bylines_made_of_spans():
    def authors(body: str, head: str = "") -> list[str]:
        html = f"<html><head>{head}</head><body><h1>Ruling</h1>{body}<p>Text.</p></body></html>"
        return page_metadata(load_html(html), "https://news.example/ruling").authors

    assert authors('<p class="author">von David Straub, NEWS EXAMPLE</p>') == ["David Straub"]
    assert authors('<ul><li class="authors__list-item">von Jemima Kelly</li></ul>') == ["Jemima Kelly"]
    labelled = '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Jane Doe">'
    assert authors("", labelled) == ["Jane Doe"]
    misc = (
        '<meta name="author" content="j.doe@news.example"><meta property="twitter:misc:Written by" content="Jane Doe">'
    )
    assert authors("", misc) == ["Jane Doe"], "an e-mail address is no name; Yoast's other form of the label is"
    spans = (
        '<div class="article-byline"><div><span>Birgit Baumann</span> <span>Anna Giulia Fink</span> '
        "<span>Jan Michael Marchart</span></div></div>"
    )
    assert authors(spans) == ["Birgit Baumann", "Anna Giulia Fink", "Jan Michael Marchart"]
    assert authors('<div class="byline">By <a>Jane Doe</a> and <a>John Roe</a></div>') == ["Jane Doe", "John Roe"]


def _outlet(head: str, url: str = "https://www.dw.com/de/a-123", body: str = "<p>Text.</p>") -> str | None:
    return page_metadata(load_html(f"<html><head>{head}</head><body>{body}</body></html>"), url).outlet


def test_the_outlet_is_the_declared_name_that_names_the_host_and_reads_as_a_name():
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H", "publisher": {"@id": "#org"}}</script>'
    org = (
        '<script type="application/ld+json">{"@id": "#org", "@type": "Organization", "name": "Deutsche Welle"}</script>'
    )
    # og:site_name written as a host gives way to the publisher's name, found by reference.
    assert _outlet('<meta property="og:site_name" content="dw.com">' + ld + org) == "Deutsche Welle"
    # A section for og:site_name gives way to the <title> segment that names the host.
    heise = '<meta property="og:site_name" content="Security"><title>Phishing mit neuen Maschen | heise online</title>'
    assert _outlet(heise, "https://www.heise.de/news/a-1.html") == "heise online"
    # Names in other scripts cannot name a Latin host, and are kept.
    assert _outlet('<meta property="og:site_name" content="毎日新聞">', "https://mainichi.jp/a") == "毎日新聞"
    # A company's legal name is not the outlet; one written as a host is kept over it.
    company = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H", "publisher": {"name": "TAZ Verlags- und Vertriebs GmbH"}}</script>'
    assert _outlet('<meta property="og:site_name" content="taz.de">' + company, "https://taz.de/a") == "taz.de"
    assert _outlet(company, "https://taz.de/a") == "TAZ"


def test_a_page_naming_no_site_gets_one_from_its_host_as_its_text_spells_it():
    footer = "<p>Story.</p><footer>© 2024 The Portugal News</footer>"
    assert (
        _outlet("<title>Alps property boom</title>", "https://www.theportugalnews.com/a", footer) == "The Portugal News"
    )
    assert _outlet("<title>Headline</title>", "https://www.kleinezeitung.at/a") == "Kleinezeitung"
    assert _outlet("<title>Headline</title>", None) is None
