"""The quality gate: `make eval`'s figures may not fall below floors pinned just under what was
measured (figures in the comments; see docs/quality.md). Raise a floor when quality rises."""

import pytest

from newsflow_cli.extract_cmd import Extractor
from newsflow_lab.corpus import load_dev_pages, load_seed_pages
from newsflow_lab.evaluate import dev_figures, seed_figures, seed_records
from newsflow_lab.planted import as_document, planted_figures, story_figures


@pytest.fixture(scope="module")
def seed_records_by_name():
    return seed_records(load_seed_pages(), Extractor())


@pytest.fixture(scope="module")
def seeds(seed_records_by_name):
    return seed_figures(load_seed_pages(), seed_records_by_name)


def test_dev_set_html_and_text_stay_above_their_floors(dev_set):
    figures = dev_figures(load_dev_pages(dev_set))
    assert figures["html"].f1 >= 0.972  # measured 0.975 (trafilatura precision alone: 0.973)
    assert figures["text_in_sample"].f1 >= 0.95  # measured 0.955 in-sample; 0.920 cross-validated


def test_seed_bodies_stay_above_their_floor(seeds):
    assert seeds.body.f1 >= 0.965  # measured 0.972 (in-sample: the seeds are in the training set)


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


def test_fundus_publishers_out_of_sample_bodies_stay_above_their_floors_and_ahead_of_trafilatura(fundus):
    html, text = fundus.html, fundus.text
    assert html["newsflow"].f1 >= 0.945  # measured 0.949 (trafilatura 0.939, precision 0.940, readability 0.906)
    assert html["newsflow"].f1 > max(html["trafilatura"].f1, html["trafilatura precision"].f1)
    assert text["newsflow"].f1 >= 0.88  # measured 0.886 (the line model never saw these pages; rule of eight 0.821)
    assert text["newsflow"].f1 > text["rule of eight"].f1 > text["trafilatura"].f1


def test_fundus_publishers_titles_authors_and_dates_stay_above_their_floors(fundus):
    metadata = fundus.metadata
    assert metadata["title"]["newsflow"] >= 0.75  # measured 0.762 (trafilatura 0.682)
    assert metadata["authors"]["newsflow"] >= 0.80  # measured 0.813 (trafilatura 0.727)
    assert metadata["published day"]["newsflow"] >= 0.975  # measured 0.981 (trafilatura 0.972)
