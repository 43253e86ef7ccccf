"""Boilerplate removal on the seeds (gold line labels) and on the dev set's flattened text."""

import math
from datetime import UTC, datetime

import pytest

from newsflow_clean.language import detect_language
from newsflow_lab.corpus import load_dev_pages
from newsflow_lab.metric import score_corpus, score_document
from newsflow_shared.models import CleanDocument, StrippedDocument
from newsflow_strip.features import FEATURE_NAMES
from newsflow_strip.html import shipped_html_model, strip_html
from newsflow_strip.model import CONTEXT_FEATURES, LineClassifier, decode_runs, probability_context
from newsflow_strip.stage import ArticlePolicy, StripStage
from newsflow_strip.templates import InMemoryTemplateStore, TemplatePolicy, line_key, observation
from newsflow_strip.text_lines import classify_page, prepare_page, shipped_text_model, strip_text


def rule_of_eight(text: str) -> str:
    """The baseline: lines of ≥ 8 words ending in sentence punctuation."""
    return "\n\n".join(
        line for line in (x.strip() for x in text.split("\n")) if len(line.split()) >= 8 and line[-1:] in '.!?"”’'
    )


def test_dev_set_flattened_text_beats_the_rule_of_eight(dev_set):
    pages = load_dev_pages(dev_set)
    ours = score_corpus(score_document(strip_text(p.text, detect_language(p.text)).body, p.gold) for p in pages)
    baseline = score_corpus(score_document(rule_of_eight(p.text), p.gold) for p in pages)
    assert ours.f1 > baseline.f1 + 0.05


def test_the_shipped_model_is_used_and_matches_the_features(seed_paths):
    model = shipped_text_model()
    assert model is not None and len(model.trees.trees) > 10
    assert model.trees.feature_names == list(FEATURE_NAMES)
    assert model.context_trees is not None  # stacked: the second stage reads the first one's verdicts
    assert model.context_trees.feature_names == [*FEATURE_NAMES, *CONTEXT_FEATURES]
    differs = 0
    for path in seed_paths:
        text = path.read_text(encoding="utf-8")
        page = prepare_page(text, detect_language(text))
        by_default = strip_text(text, detect_language(text)).body
        by_model = "\n\n".join(page.lines[page.candidates[k]] for k in classify_page(page, model))
        by_prior = "\n\n".join(page.lines[page.candidates[k]] for k in classify_page(page, None))
        assert by_default == by_model, f"{path.name}: strip_text did not use the shipped model"
        differs += by_model != by_prior
    assert differs >= 1, "the model decides differently from the prior on some seed: it is doing the work"


def test_without_a_model_the_prior_still_finds_the_body():
    page = "\n".join(
        ["Home", "World", "Sport"]
        + [f"Sentence number {i} of the story tells the reader what happened at the scene today." for i in range(6)]
        + ["Privacy policy", "Contact us"]
    )
    prepared = prepare_page(page)
    kept = [prepared.lines[prepared.candidates[k]] for k in classify_page(prepared, None)]
    assert len(kept) == 6 and all(line.startswith("Sentence number") for line in kept)


def test_the_second_stage_sees_the_first_stages_verdicts_around_each_line():
    context = probability_context([0.1, 0.9, 0.8, 0.2])
    assert len(context) == 4 and all(len(row) == len(CONTEXT_FEATURES) for row in context)
    own, around_1, _, _, max_before, max_after, body_before, body_after, distance = context[3]
    assert own == 0.2 and around_1 == 0.8 and max_before == 0.9 and max_after == -1.0
    assert (body_before, body_after) == (1.0, 0.0)  # both likely body lines lie before the last line
    assert distance == pytest.approx(math.log1p(1))
    assert context[1][-1] == 0.0  # a likely body line is at distance 0 from one
    assert probability_context([]) == []


def test_a_stacked_model_file_round_trips_and_a_single_stage_one_stays_as_it_was():
    single = shipped_html_model()
    assert single.context_trees is None and "context_trees" not in single.to_json()
    stacked = shipped_text_model()
    assert stacked is not None
    again = LineClassifier.from_json(stacked.to_json())
    assert again == stacked


def test_a_one_line_text_of_a_sentence_or_more_is_its_own_body():
    # An article sent as one paragraph (datasets and APIs hold text so): no layout to judge.
    article = (
        "Three men were injured in a shooting early Wednesday at a hotel in Tysons, police said, and "
        "the suspect fled before officers arrived"
    )
    assert strip_text(article, "en").body == article
    assert classify_page(prepare_page(article, "en"), None) == [0]  # whatever model there is
    assert classify_page(prepare_page("Subscribe to our newsletter", "en"), None) == []  # a fragment is judged


def test_run_decoding_follows_the_neighbours():
    # A lone doubtful line inside a confident body is kept; a lone confident line in the footer is not.
    probabilities = [0.02, 0.02, 0.9, 0.95, 0.4, 0.9, 0.92, 0.02, 0.02, 0.7, 0.02, 0.02]
    assert decode_runs(probabilities, switch_cost=2.0, body_bias=0.5) == [
        False, False, True, True, True, True, True, False, False, False, False, False,
    ]  # fmt: skip


def test_comment_threads_are_seen_as_after_the_comment_header():
    page = prepare_page(
        "Article line one is long enough to matter here.\n3 Comments\nGreat piece, thanks for writing it."
    )
    flags = [row[FEATURE_NAMES.index("after_comment_section")] for row in page.rows]
    assert flags == [0.0, 1.0]  # "3 Comments" itself is comment furniture, removed before features


def test_player_residue_and_repeated_captions_are_not_body():
    page = "\n".join(
        [
            "Menu",
            "News",
            "Caption of a photo that repeats",
            "Caption of a photo that repeats",
            "The minister said on Friday that the talks had made real progress after weeks of delay.",
            "0:00 0:02:50 0:00",
            "Officials from both countries will meet again next month to finalise the agreement, he added.",
            "Leave a Reply",
        ]
    )
    body = strip_text(page).body
    assert "talks had made real progress" in body and "finalise the agreement" in body
    assert "0:00" not in body and "Caption" not in body and "Leave a Reply" not in body


def test_html_goes_through_trafilatura_and_keeps_its_metadata():
    paragraphs = "".join(
        f"<p>Paragraph {i} of the article explains what happened in some detail today.</p>" for i in range(6)
    )
    html = f"<html><head><title>Big news</title></head><body><nav>Home | World</nav><article>{paragraphs}</article></body></html>"
    doc = CleanDocument(
        doc_id="h", source="h", content=html, format="html", fingerprint="f", fetched_at="2024-01-01T00:00:00Z"
    )
    out = StripStage().process(doc)
    assert "Paragraph 0" in out.body and "Home | World" not in out.body
    assert out.page.title == "Big news"


def test_html_metadata_comes_from_open_graph_and_json_ld():
    html = """<html><head><title>Site | Page</title>
    <meta property="og:title" content="Talks resume in Geneva">
    <meta property="og:site_name" content="Example News">
    <script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-04-13T11:34:00Z",
      "author": [{"@type": "Person", "name": "Jane Roe"}]}</script></head>
    <body><article><p>The talks resumed on Tuesday after a pause of several weeks, officials said.</p></article></body></html>"""
    page = strip_html(html).page
    assert page.title == "Talks resume in Geneva" and page.outlet == "Example News"
    assert page.published == datetime(2021, 4, 13, 11, 34, tzinfo=UTC) and page.authors == ["Jane Roe"]


def _page(doc_id: str, article: str, url: str = "https://news.example.com/a") -> CleanDocument:
    content = "\n".join(
        ["Home", "World", article, "Sign up to read this article and many more every day.", "© Example"]
    )
    return CleanDocument(
        doc_id=doc_id, source=doc_id, url=url, content=content, format="text", fingerprint=doc_id,
        fetched_at="2024-01-01T00:00:00Z",
    )  # fmt: skip


_TOPICS = [
    "harbour",
    "election",
    "vaccine",
    "railway",
    "drought",
    "festival",
    "tariff",
    "earthquake",
    "museum",
    "strike",
]


def _article(n: int) -> str:
    topic = _TOPICS[n]
    return "\n".join(
        f"The {topic} story continues with paragraph {word} explaining what officials said about the {topic}."
        for word in ("one", "two", "three", "four")
    )


async def test_a_sources_repeated_lines_are_learned_and_removed():
    stage = StripStage(InMemoryTemplateStore(TemplatePolicy(min_documents=3, min_share=0.5)))
    for n in range(4):
        await stage.process_batch([_page(f"d{n}", _article(n))])
    [out] = await stage.process_batch([_page("d9", _article(9))])
    assert out.body == _article(9).replace("\n", "\n\n")
    # Another source has not shown this footer often enough yet.
    [other] = await stage.process_batch([_page("x1", _article(1), url="https://other.example.org/b")])
    assert isinstance(other, StrippedDocument)


async def test_a_quote_two_articles_share_is_not_template():
    policy = TemplatePolicy(min_documents=3, min_share=0.5)
    store = InMemoryTemplateStore(policy)
    quote = "We will not accept this, the minister said."
    docs = [observation("example.com", f"d{n}", [_TOPICS[n], quote if n in (1, 4, 7) else "x"]) for n in range(10)]
    verdicts = await store.observe_many(docs)
    assert not any(line_key(quote) in v for v in verdicts)  # 3 of 8-10 documents: under the share


async def test_a_redelivered_document_is_not_counted_twice():
    store = InMemoryTemplateStore(TemplatePolicy(min_documents=2, min_share=0.1))
    obs = observation("example.com", "d1", ["Subscribe now"])
    assert await store.observe_many([obs, obs, obs]) == [frozenset()] * 3
    assert line_key("3 Comments") == line_key("  5 comments ")


def test_placeholder_dates_in_markup_are_not_publication_times():
    html = '<html><head><meta property="article:published_time" content="0001-01-01T00:00:00Z"></head><body><p>x</p></body></html>'
    assert strip_html(html).page.published is None


def _html_document(html: str, **changes: object) -> CleanDocument:
    fields: dict[str, object] = {
        "doc_id": "d1",
        "source": "https://news.example/a",
        "url": "https://news.example/a",
        "content": html,
        "format": "html",
        "fingerprint": "f",
        "fetched_at": datetime(2024, 3, 1, tzinfo=UTC),
    }
    return CleanDocument.model_validate(fields | changes)


def test_a_feeds_fuller_text_replaces_a_paywalled_teaser_and_a_feed_document_is_all_article():
    teaser = "<html><body><article><p>Only the first lines of the story are free to read here today.</p>"
    teaser += "<p>Subscribe to read the rest.</p></article></body></html>"
    feed_text = "".join(
        f"<p>Paragraph {n} of the whole story, as the feed carries it to readers.</p>" for n in range(20)
    )
    strip = StripStage()
    from_page = strip.process(_html_document(teaser, hints={"feed_content": feed_text}))
    assert isinstance(from_page, StrippedDocument) and from_page.body_source == "feed"
    assert from_page.body.count("\n\n") == 19 and from_page.hints.feed_content is None, "used, not carried on"
    fuller_page = teaser.replace("<p>Subscribe to read the rest.</p>", feed_text.replace("Paragraph", "Part"))
    kept = strip.process(_html_document(fuller_page, hints={"feed_content": feed_text}))
    assert isinstance(kept, StrippedDocument) and kept.body_source == "page"
    from_feed = strip.process(_html_document(feed_text, body_source="feed"))
    assert (
        isinstance(from_feed, StrippedDocument) and from_feed.body_source == "feed" and from_feed.article_score is None
    )


def _analysis(blocks: list[str], extracted: str):
    from newsflow_shared.models import PageMetadata
    from newsflow_strip.blocks import Block
    from newsflow_strip.html import PageAnalysis

    return PageAnalysis([Block(t, "p", (), chars=len(t)) for t in blocks], [], PageMetadata(), None, extracted)


def test_blocks_the_classifier_keeps_make_the_body_and_a_collapse_falls_back_to_trafilatura():
    from newsflow_strip.html import body_from

    paragraphs = [" ".join(f"word{n}x{i}" for i in range(60)) for n in range(4)]
    analysis = _analysis(["Menu", *paragraphs], "\n\n".join(paragraphs))
    assert body_from(analysis, [False, True, True, True, True]) == "\n\n".join(paragraphs)
    # Keeping almost nothing of a 240-word body trafilatura found: a layout it never learnt.
    assert body_from(analysis, [True, False, False, False, False]) == "\n\n".join(paragraphs)
    short = _analysis(["Menu", "A short note."], "A short note.")
    assert body_from(short, [False, False]) == "", "a page with little text may rightly keep nothing"


def test_the_markup_models_decision_stands_only_where_it_is_sure_of_a_substantial_body():
    from newsflow_strip.html import sure_markup_keep

    menu, paragraphs = "Home News Sport", [" ".join(f"word{n}x{i}" for i in range(60)) for n in range(4)]
    blocks = _analysis([menu, *paragraphs], "").blocks
    decoding = (0.0, 0.0)
    assert sure_markup_keep(blocks, [0.02, 0.97, 0.99, 0.95, 0.98], decoding) == [False, True, True, True, True]
    # A paragraph of four in doubt is more than 15% of the page: the vote is taken.
    assert sure_markup_keep(blocks, [0.02, 0.97, 0.6, 0.95, 0.98], decoding) is None
    # Sure, but of a body under 150 words: a short page is where the vote (and the collapse guard) matter.
    assert sure_markup_keep(blocks, [0.02, 0.97, 0.01, 0.03, 0.02], decoding) is None
    assert sure_markup_keep([], [], decoding) is None, "a page without blocks is trafilatura's to read"


def test_a_hidden_copy_of_the_visible_article_is_left_out():
    from newsflow_strip.blocks import Block, body_of

    text = "The council approved the harbour budget on Tuesday after a long debate."
    visible, hidden = Block(text, "p", ()), Block(text + " Share this.", "div", (), hidden=True)
    assert body_of([visible, hidden], [True, True]) == text


def test_extract_workers_are_given_work_by_body_length_and_a_duplicate_weighs_nothing():
    def stripped(body: str, duplicate_of: str | None = None) -> StrippedDocument:
        return StrippedDocument(
            doc_id="d",
            source="s",
            body=body,
            format="text",
            fingerprint="f",
            fetched_at=datetime.now(UTC),
            duplicate_of=duplicate_of,
        )

    stage = StripStage()
    assert stage.downstream_work_per_s > 0  # the runtime balances the stripped topic's partitions
    assert stage.downstream_work(stripped("x" * 2500)) == 2500
    assert stage.downstream_work(stripped("x" * 2500, duplicate_of="c")) == 0


BAILOUT = [
    "WASHINGTON (AP) -- The Senate on Thursday approved a $700 billion plan to rescue the financial "
    "industry, sending the measure to the House.",
    "The vote was 74-25, and supporters said the bill would restore confidence in credit markets that "
    "have been frozen for weeks.",
    "Lawmakers added tax breaks and a higher limit on insured bank deposits to win over members who had "
    "opposed an earlier version.",
]


def _page_of_2008(paragraphs: list[str] = BAILOUT) -> tuple[str, list[str]]:
    """A news page as sites were laid out in 2008 (tables, <font>, <br><br>), declaring nothing
    about itself (no JSON-LD, og:type, <article> or date), and its article's paragraphs."""
    menu = " | ".join(f'<a href="/s{i}">Section {i}</a>' for i in range(12))
    column = "<br>".join(f'<a href="/l{i}">Local news item {i}</a>' for i in range(15))
    page = (
        "<html><head><title>Senate passes bailout - Daily Record</title></head><body><table>"
        f'<tr><td colspan="2"><font size="1">{menu}</font></td></tr>'
        f'<tr><td width="160"><font size="1">{column}</font></td><td><font size="4"><b>Senate passes bailout</b>'
        f'</font><br><br><font size="2">{"<br><br>".join(paragraphs)}</font></td></tr></table></body></html>'
    )
    return page, paragraphs


def test_a_table_laid_page_of_2008_keeps_its_article_and_not_its_columns_of_links():
    page, paragraphs = _page_of_2008()
    body = strip_html(page, "http://www.dailyrecord.example/news/2008/10/02/bailout.html", "en").body
    assert all(p in body for p in paragraphs)
    assert "Local news item" not in body and "Section 3" not in body


def test_an_article_whose_markup_declares_nothing_passes_the_article_check():
    # A story of ordinary length (about 400 words): the check judges such a page by its text.
    # (The three-paragraph page above, 70 words beside two columns of links, is still dropped.)
    more = [
        f"{sentence} Officials in {city} said the measure would take weeks to reach local banks, and "
        "several governors asked for a clearer timetable before the end of the month."
        for sentence, city in zip(
            [
                "House leaders scheduled a vote for Friday morning.",
                "Stocks rose in late trading as the vote neared.",
                "The Treasury secretary urged members to act quickly.",
                "Some Republicans remained opposed to the plan.",
                "Democrats won added oversight of the program.",
                "Economists were divided over the plan's effect.",
            ],
            ["Ohio", "Texas", "Florida", "Michigan", "Nevada", "Oregon"],
            strict=True,
        )
    ]
    page, _ = _page_of_2008(BAILOUT + more)
    url = "http://www.dailyrecord.example/news/2008/10/02/bailout.html"
    stripped = StripStage(articles=ArticlePolicy()).process(_html_document(page, url=url, source=url))
    assert isinstance(stripped, StrippedDocument), stripped  # not dropped as not_an_article
