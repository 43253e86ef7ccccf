"""Boilerplate removal on the seeds (gold line labels) and on the dev set's flattened text."""

from newsflow_shared.models import CleanDocument
from newsflow_strip.metric import score_corpus, score_document
from newsflow_strip.stage import StripStage
from newsflow_strip.text_lines import strip_text


def rule_of_eight(text: str) -> str:
    """The baseline the line scorer must beat: lines of ≥ 8 words ending in sentence punctuation."""
    return "\n\n".join(
        line for line in (x.strip() for x in text.split("\n")) if len(line.split()) >= 8 and line[-1:] in '.!?"”’'
    )


def gold_body(path, gold) -> str:
    lines = path.read_text().split("\n")
    return "\n\n".join(lines[n - 1] for n in gold["documents"][path.name]["body"])


def test_seed_bodies_stay_above_their_pinned_floor(seed_paths, seed_gold):
    # Measured 0.893; the rule of eight scores 0.907 here because both keep comment threads.
    # Closing that gap (target 0.97) is the quality issue's work, not hidden by this floor.
    ours = score_corpus(score_document(strip_text(p.read_text()).body, gold_body(p, seed_gold)) for p in seed_paths)
    assert ours.f1 >= 0.885


def test_dev_set_flattened_text_beats_the_rule_of_eight(dev_set):
    golds = sorted((dev_set / "gold").glob("*.txt"))
    ours = score_corpus(
        score_document(strip_text((dev_set / "text" / g.name).read_text()).body, g.read_text()) for g in golds
    )
    baseline = score_corpus(
        score_document(rule_of_eight((dev_set / "text" / g.name).read_text()), g.read_text()) for g in golds
    )
    assert ours.f1 > baseline.f1
    assert ours.f1 >= 0.89  # floor pinned under the measured 0.896 (make eval prints the figure)


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
