"""The quality gate: `make eval`'s figures may not fall below floors pinned just under what was
measured (figures in the comments; see docs/quality.md). Raise a floor when quality rises.

Body floors pin figures cross-validated by publisher (the classifiers retrained fold by fold),
never the shipped models' in-sample figures: those say nothing about pages nobody trained on."""

import pytest

from newsflow_cli.extract_cmd import Extractor
from newsflow_lab.corpus import load_dev_pages, load_seed_pages
from newsflow_lab.evaluate import seed_figures, seed_records
from newsflow_lab.planted import as_document, planted_figures, story_figures


@pytest.fixture(scope="module")
def seed_records_by_name():
    return seed_records(load_seed_pages(), Extractor())


@pytest.fixture(scope="module")
def seeds(seed_records_by_name):
    return seed_figures(load_seed_pages(), seed_records_by_name)


@pytest.fixture(scope="module")
def cross_validated():
    """Both body classifiers cross-validated by publisher over both development sets, as
    `make train` and `make eval` do: the HTML classifier's out-of-fold bodies (figures per set,
    of the pages as published or of their layout variants) and the flattened-text figures per set."""
    from newsflow_lab import html_train, train
    from newsflow_lab.corpus import benchmark_pages, fundus_pages

    if not list(benchmark_pages()) or not list(fundus_pages()):
        pytest.skip("the development sets are not beside the project (or at NEWSFLOW_DEV_SET / NEWSFLOW_TRAIN_SETS)")
    html = html_train.cross_validate(html_train.training_pages(), log=lambda _line: None)
    return html, train.cross_validate(train.training_pages()).per_set


# The suite's 600 s timeout guards against hangs in tests that wait on services. The
# cross-validation fixture is CPU-bound work (both classifiers retrained fold by fold, about
# 8 minutes on an idle 2-core machine beside the rest of the suite) and ran past 600 s once the
# machine had other work; it gets a longer guard.
CROSS_VALIDATION_TIMEOUT_S = 1500


@pytest.mark.timeout(CROSS_VALIDATION_TIMEOUT_S)
def test_bodies_cross_validated_by_publisher_stay_above_their_floors(cross_validated):
    html_cv, text = cross_validated
    html, layouts = html_cv.per_set(), html_cv.per_set(layouts=True)
    # The product's decision: the markup model where it is sure of a page, else the voting model.
    assert html["benchmark"].f1 >= 0.973  # measured 0.977 (trafilatura precision 0.973, default 0.962)
    assert html["fundus"].f1 >= 0.959  # measured 0.963 (trafilatura 0.939, precision 0.940, readability 0.906)
    # The same pages rewritten as older or plainer sites (newsflow_lab.layouts): measured 0.968
    # and 0.951 (0.948 and 0.933 by a voting classifier trained without such variants).
    assert layouts["benchmark"].f1 >= 0.964
    assert layouts["fundus"].f1 >= 0.947
    assert html_cv.sure_share() >= 0.7  # measured 0.76: pages decided without trafilatura's pass
    assert text["benchmark"].f1 >= 0.926  # measured 0.931, stacked (0.920 one stage; rule of eight 0.850)
    assert text["fundus"].f1 >= 0.908  # measured 0.913, stacked (0.909 one stage; rule of eight 0.821)
    assert text["seeds"].f1 >= 0.88  # measured 0.894: the seeds' own pages left out of training


def test_seed_titles_dates_and_people(seeds):
    assert (seeds.titles_exact, seeds.titles_total) == (4, 4)
    assert seeds.published == {"001_5a720a2cbca42381.txt": "2021-04-13T11:34:00+00:00"}
    assert seeds.person_recall >= 0.95  # measured 0.953


async def test_planted_copies_with_at_most_two_percent_edits_are_caught_without_false_merges(dev_set):
    figures = await planted_figures(load_dev_pages(dev_set))
    assert figures.recall(("edited 1%", "edited 2%")) >= 0.99  # measured 1.000 (182/182)
    assert figures.precision() >= 0.99  # measured 1.000: no false merge, no originals merged
    assert figures.recall(("re-wrapped, stripped",)) >= 0.9  # measured 0.967 (88/91)


async def test_seeds_001_and_003_are_one_story_and_no_seed_is_a_duplicate(seed_records_by_name):
    figures = await story_figures({n: as_document(r) for n, r in seed_records_by_name.items()}, [])
    assert figures.seed_stories == [["000"], ["001", "003"], ["002"], ["004"]]
    assert figures.seed_duplicates == 0


@pytest.fixture(scope="module")
def fundus():
    """The fundus publishers set through `make eval`'s code: publishers nothing was fit to."""
    from pathlib import Path

    from newsflow_lab.corpus import fundus_meta, fundus_pages
    from newsflow_lab.peers import body_figures, metadata_figures

    pages = list(fundus_pages())
    if not pages:
        pytest.skip("fundus-publishers not found beside the project (or at NEWSFLOW_TRAIN_SETS)")
    figures = body_figures("fundus-publishers", pages)
    extractor = Extractor()
    try:
        ours = {Path(r["source"]).stem: r for r in extractor.run([str(p.html_path) for p in pages])}
    finally:
        extractor.close()
    metadata_figures(figures, pages, ours, fundus_meta())
    return figures


@pytest.mark.timeout(CROSS_VALIDATION_TIMEOUT_S)
def test_fundus_bodies_cross_validated_stay_ahead_of_every_peer_in_the_same_run(fundus, cross_validated):
    html_cv, text = cross_validated
    html = html_cv.per_set()
    assert html["fundus"].f1 > max(
        fundus.html[peer].f1 for peer in ("trafilatura", "trafilatura precision", "readability-lxml", "newspaper4k")
    )
    assert text["fundus"].f1 > fundus.text["rule of eight"].f1 > fundus.text["trafilatura"].f1


def test_fundus_publishers_titles_authors_dates_and_outlets_stay_above_their_floors(fundus):
    metadata = fundus.metadata
    assert metadata["title"]["newsflow"] >= 0.81  # measured 0.813 (trafilatura 0.682): rules, nothing fit
    assert metadata["authors"]["newsflow"] >= 0.855  # measured 0.856 (trafilatura 0.727)
    assert metadata["published day"]["newsflow"] >= 0.98  # measured 0.986 (trafilatura 0.972)
    assert metadata["outlet"]["newsflow"] >= 0.79  # measured 0.794 (trafilatura 0.743), names_publisher


def test_the_article_check_cross_validated_keeps_articles_whether_or_not_their_markup_declares_them():
    from newsflow_lab import article_train
    from newsflow_lab.corpus import benchmark_pages, fundus_pages

    if not list(benchmark_pages()) or not list(fundus_pages()):
        pytest.skip("the development sets are not beside the project (or at NEWSFLOW_DEV_SET / NEWSFLOW_TRAIN_SETS)")
    data = article_train.examples()
    kept = {
        kind: share
        for kind, (share, _pages) in article_train.kept_shares(data, article_train.cross_validated(data)).items()
    }
    assert kept["benchmark"] == kept["fundus"] == 1.0  # every article page as published
    # The same pages with no JSON-LD, og:/article: meta, dates or <article> (an older site, a
    # plain blog): measured 1.000 and 1.000 (0.615 and 0.832 before the check trained on them).
    assert kept["benchmark undeclared"] >= 0.99
    assert kept["fundus undeclared"] >= 0.99
    assert kept["non-articles"] <= 0.26  # measured 0.242 wrongly kept (0.215 before: the trade, decisions #24)


@pytest.fixture(scope="module")
def pairs():
    """Story clusters on the rated pairs (story-pairs-dev), cross-validated by pair component.
    The gate's threshold grid is ``make eval``'s around its optimum, to keep the suite short."""
    from newsflow_lab.story_pairs import pair_figures, pairs_dir

    root = pairs_dir()
    if root is None:
        pytest.skip("story-pairs-dev not found beside the project")
    return pair_figures(root, thresholds=(0.22, 0.24, 0.26, 0.28, 0.30, 0.32, 0.34))


def test_story_pairs_cross_validated_precision_and_recall_stay_above_their_floors(pairs):
    cv = pairs.cross_validated  # each fold judged at the threshold the other folds chose
    assert cv["en"].precision >= 0.92 and cv["en"].recall >= 0.83  # measured 0.953 / 0.911 (target 0.90 / 0.85)
    assert cv["de"].precision >= 0.90 and cv["de"].recall >= 0.58  # measured 0.924 / 0.691
    assert cv["es"].precision >= 0.87 and cv["es"].recall >= 0.74  # measured 0.902 / 0.835
    assert min(c.recall for lang, c in cv.items() if "-" not in lang) >= 0.45  # measured 0.524 (pl)
    assert pairs.spearman["en"] <= -0.78  # measured -0.863: the score ranks pairs as people do
    assert pairs.largest_stories[0] <= 25  # measured 19 documents
    assert pairs.tied_by_one_term == 0  # no story of more than three documents held by one shared term


@pytest.fixture(scope="module")
def entity_gold():
    from newsflow_lab.entities_eval import entities_dir

    root = entities_dir()
    if root is None:
        pytest.skip("entities-dev not found beside the project")
    return root


def test_entities_on_newswire_gold_beat_the_raw_model_on_every_type(entity_gold):
    from newsflow_lab.entities_eval import TYPES, entity_figures

    figures = entity_figures(entity_gold)
    assert figures.ours.prf()[2] >= 0.70  # measured 0.712 (raw en_core_web_sm 0.642; target 0.75)
    for kind in TYPES:
        assert figures.ours.prf(kind)[2] >= figures.raw.prf(kind)[2], kind


def test_quotes_on_attribution_gold_are_found_and_attributed(entity_gold):
    from newsflow_lab.entities_eval import quote_figures

    figures = quote_figures(entity_gold)
    assert figures.precision >= 0.95 and figures.recall >= 0.76  # measured 0.960 / 0.778
    assert figures.named_right / figures.named >= 0.90  # measured 0.915 (826/903)
