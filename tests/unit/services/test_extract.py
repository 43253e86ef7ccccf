from datetime import UTC, datetime

import pytest

from newsflow_extract.entities import Mention, canonicalize, chunks, profiled_build
from newsflow_extract.metadata import clean_title, find_authors, find_dates, find_outlet, title_from_header
from newsflow_extract.quotes import find_quotes
from newsflow_extract.stage import ExtractStage
from newsflow_shared.models import PageMetadata, StrippedDocument
from newsflow_shared.settings import ExtractSettings


def test_published_and_updated_come_from_the_header_line_with_time_zone():
    published, updated = find_dates(["April 13, 2021 11:34 GMT UPDATED April 13, 2021 19:15 GMT – By RFE/RL"])
    assert published == datetime(2021, 4, 13, 11, 34, tzinfo=UTC)
    assert updated == datetime(2021, 4, 13, 19, 15, tzinfo=UTC)
    assert find_dates(["Chris Davies - Nov 19, 2019, 10:31 pm CST"])[0].isoformat() == "2019-11-19T22:31:00-06:00"


def test_outlet_cues():
    assert find_outlet(["April 13, 2021 – By RFE/RL"], None, None) == "RFE/RL"
    assert find_outlet(["Blah. (FRANCE 24 with AFP, REUTERS)"], None, None) == "France 24"
    assert find_outlet(["NEW YORK, April 11. /TASS/. US Secretary of State"], None, None) == "TASS"
    # No cue and no name in the markup: a readable name from the host, as the text spells it.
    assert find_outlet([], "https://www.example.com/a", None) == "Example"
    assert find_outlet(["© Daily Record 2021"], "https://www.dailyrecord.co.uk/a", None) == "Daily Record"


def test_titles_lose_update_prefixes_and_captions_are_not_titles():
    assert clean_title("update: Biden Urges De-Escalation") == "Biden Urges De-Escalation"
    header = [
        "Accessibility links",
        "Breaking News",
        "Kyiv's Western Backers Call On Russia To Calm Tensions",
        "A caption line here",
        "A caption line here",
    ]
    assert title_from_header(header) == "Kyiv's Western Backers Call On Russia To Calm Tensions"


def test_short_person_mentions_take_the_full_name():
    mentions = [Mention("Antony Blinken", "PERSON", 0, 14), Mention("Blinken", "PERSON", 40, 47)]
    assert [m.text for m in canonicalize(mentions)] == ["Antony Blinken", "Antony Blinken"]


def test_a_surname_two_full_names_share_resolves_to_the_same_one_whatever_the_hash_seed():
    # Ties used to follow a set's order, which changes with the per-process hash seed; with eight
    # ties, resolving all of them alphabetically by chance would happen once in 256 seeds.
    firsts = [("Jane", "John"), ("Anna", "Emma"), ("Carl", "Karl"), ("Dina", "Nina"),
              ("Ella", "Ilse"), ("Finn", "Owen"), ("Gary", "Mary"), ("Hugo", "Igor")]  # fmt: skip
    mentions = []
    for n, pair in enumerate(firsts):
        surname = f"Surname{n}"
        for first in reversed(pair):
            mentions.append(Mention(f"{first} {surname}", "PERSON", 0, 1))
        mentions.append(Mention(surname, "PERSON", 0, 1))
    short = [out.text for given, out in zip(mentions, canonicalize(mentions), strict=True) if " " not in given.text]
    assert short == [f"{pair[0]} Surname{n}" for n, pair in enumerate(firsts)]


def test_quotes_are_attributed_to_the_nearest_person_in_the_paragraph():
    body = "Intro paragraph.\n\n“We have deep concerns about the plans,” Blinken said."
    start = body.index("Blinken")
    [quote] = find_quotes(body, [Mention("Antony Blinken", "PERSON", start, start + 7)])
    assert (quote.speaker, quote.text) == ("Antony Blinken", "We have deep concerns about the plans,")


def _people(body: str, *names: str, label: str = "PERSON") -> list[Mention]:
    """Mentions of ``names`` at each place they occur in ``body``."""
    found = []
    for name in names:
        start = body.find(name)
        while start >= 0:
            found.append(Mention(name, label, start, start + len(name)))
            start = body.find(name, start + 1)
    return canonicalize(sorted(found, key=lambda m: m.start))


def test_straight_quotes_pair_in_order_so_narration_between_two_quotes_is_not_a_quote():
    body = 'He called it "rigged" and said the count was "a disgrace to the whole country," Trump said.'
    quotes = find_quotes(body, _people(body, "Trump"))
    assert [(q.speaker, q.text) for q in quotes] == [("Trump", "a disgrace to the whole country,")]


def test_the_quotes_of_other_languages_are_found():
    for body, text in (
        ("„Wir werden das schaffen, sagte sie“, so Merkel.", "Wir werden das schaffen, sagte sie"),
        ("« Nous ne céderons pas face à la menace », a déclaré Macron.", "Nous ne céderons pas face à la menace"),
        ("»Das ist ein schwerer Tag für uns«, sagte Scholz.", "Das ist ein schwerer Tag für uns"),
        ("「私たちは最後まで戦い続けます」と首相は述べた。", "私たちは最後まで戦い続けます"),
    ):
        assert [q.text for q in find_quotes(body, [])] == [text]


def test_scare_quotes_and_titles_in_quotes_are_not_quotes():
    body = 'Critics called the plan "dead on arrival" as he appeared on "The Lead With Jake Tapper" on Monday.'
    assert find_quotes(body, []) == []


def test_the_speaker_is_the_subject_of_the_speech_verb_not_the_nearest_name():
    body = (
        "“We had to acknowledge that we had a big issue with trade,” said United Auto Workers "
        "Secretary-Treasurer Gary Casteel, a critic of Clinton."
    )
    mentions = sorted(_people(body, "Gary Casteel", "Clinton") + _people(body, "United Auto Workers", label="ORG"),
                      key=lambda m: m.start)  # fmt: skip
    assert [q.speaker for q in find_quotes(body, mentions)] == ["Gary Casteel"]
    body = "Recalling that moment, David Axelrod, who advised Barack Obama, said of Sanders: “Will he rally behind the nominee?”"
    assert [q.speaker for q in find_quotes(body, _people(body, "David Axelrod", "Barack Obama", "Sanders"))] == [
        "David Axelrod"
    ]
    body = "According to Jane Doe, the mayor, “the budget will not survive the winter at all.”"
    assert [q.speaker for q in find_quotes(body, _people(body, "Jane Doe"))] == ["Jane Doe"]


def test_he_said_and_a_paragraphs_second_quote_go_to_the_person_being_quoted():
    body = (
        "Senator Ann Lee met Bob Ray on Tuesday.\n\n"
        "“The vote will happen this week,” she said. “We have the numbers to pass it.”\n\n"
        "“Nobody expected it to be this close,” Lee added."
    )
    quotes = find_quotes(body, _people(body, "Ann Lee", "Bob Ray", "Lee"))
    assert [q.speaker for q in quotes] == ["Ann Lee", "Ann Lee", "Ann Lee"]


def test_a_long_quotation_runs_on_through_paragraphs_left_open():
    body = "“This is the first paragraph of what she said,\n\n“and this is the second one of it,” Lee said."
    quotes = find_quotes(body, _people(body, "Lee"))
    assert [q.text for q in quotes] == [
        "This is the first paragraph of what she said,",
        "and this is the second one of it,",
    ]
    assert [q.speaker for q in quotes] == ["Lee", "Lee"]


@pytest.fixture(scope="module")
def stage():
    import asyncio

    extract = ExtractStage(ExtractSettings())
    asyncio.run(extract.start())
    return extract


def stripped(body: str, language: str, **fields: object) -> StrippedDocument:
    return StrippedDocument(
        doc_id="d",
        source="s",
        body=body,
        format="text",
        language=language,
        fingerprint="f",
        fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
        **fields,  # type: ignore[arg-type]
    )


def test_entities_are_tagged_in_english_and_skipped_in_other_languages(stage):
    body = "U.S. Secretary of State Antony Blinken met NATO officials in Brussels. Blinken said talks went well."
    doc = stripped(body, "en", page=PageMetadata(header_lines=["Blinken Meets NATO Officials In Brussels"]))
    out = stage.process(doc)
    entities = {(e.text, e.label): e.aliases for e in out.entities}
    assert entities[("Antony Blinken", "PERSON")] == ("Blinken",), "the surname is an alias of the full name"
    assert ("U.S.", "GPE") in entities and ("Brussels", "GPE") in entities
    assert not any(text == "State" for text, _ in entities), "the office in 'Secretary of State' is no organisation"
    assert out.title == "Blinken Meets NATO Officials In Brussels"
    assert stage.process(doc.model_copy(update={"language": "de"})).entities == [], "no German model: no entities"


def test_french_pages_get_entities_from_the_french_model_in_the_same_labels(stage):
    body = "Emmanuel Macron a reçu Olaf Scholz à l'Élysée mardi. « Nous sommes unis face à la crise », a déclaré Macron à Paris."
    out = stage.process(stripped(body, "fr"))
    labels = {e.text: e.label for e in out.entities}
    assert labels["Emmanuel Macron"] == "PERSON" and labels["Olaf Scholz"] == "PERSON"
    assert labels["Paris"] == "GPE", "WikiNER's LOC, a known city: a place like the English model's"
    assert [(q.speaker, q.text) for q in out.quotes] == [("Emmanuel Macron", "Nous sommes unis face à la crise")]


def test_a_date_without_a_year_takes_the_fetch_times_year():
    fetched = datetime(2021, 4, 14, 8, 0, tzinfo=UTC)
    assert find_dates(["April 13, 11:34 GMT"], fetched)[0] == datetime(2021, 4, 13, 11, 34, tzinfo=UTC)
    # Fetched on 2 January, "December 31" is last year's.
    assert find_dates(["December 31"], datetime(2022, 1, 2, tzinfo=UTC))[0] == datetime(2021, 12, 31, tzinfo=UTC)
    assert find_dates(["April 13"], None) == (None, None)


def test_the_headline_is_the_first_headline_like_line_not_the_longer_standfirst():
    header = [
        "All news",
        "Blinken: US concerned about situation on the border",
        "Washington is in close contact with its allies and partners in Europe, the Secretary of State said",
    ]
    assert title_from_header(header) == "Blinken: US concerned about situation on the border"


def test_a_slash_acronym_opening_a_footer_line_names_the_outlet():
    assert find_outlet(["RFE/RL journalists report the news in 27 languages."], None, None) == "RFE/RL"


def test_authors_come_from_a_person_shaped_byline():
    assert find_authors(["By FEDERICA LUSIARDI - 2019-04-10"]) == ["Federica Lusiardi"]
    assert find_authors(["By Stefan Becket, Kathryn Watson and Grace Segers"]) == [
        "Stefan Becket",
        "Kathryn Watson",
        "Grace Segers",
    ]
    assert find_authors(["By Eric Song, IGN Staff"]) == ["Eric Song"]
    for not_a_byline in ("By RFE/RL", "By Staff Reports -", "By 2018, when I started digging", "By admin - 2018"):
        assert find_authors([not_a_byline]) == []


def test_long_bodies_are_cut_into_chunks_that_map_back_to_the_body():
    body = "\n\n".join(f"Paragraph {i} says something. " * 20 for i in range(10)) + " " + "word " * 2000
    pieces = chunks(body, limit=1000)
    assert all(len(text) <= 1000 for _, text in pieces)
    assert all(body[offset : offset + len(text)] == text for offset, text in pieces)
    assert "".join(text for _, text in pieces).replace(" ", "").replace("\n", "") == body.replace(" ", "").replace(
        "\n", ""
    )


def test_a_batch_is_tagged_shortest_first_one_document_at_a_time():
    # The runtime releases each group's outputs as soon as it is done: a short article in the same
    # batch as a long one leaves first. Documents with nothing to tag (a duplicate, another
    # language) cost nothing and go first.
    def doc(doc_id: str, body: str, **extra: object) -> StrippedDocument:
        fields = {"language": "en", **extra}
        return StrippedDocument(
            doc_id=doc_id,
            source="s",
            body=body,
            format="text",
            fingerprint=doc_id,
            fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
            **fields,
        )

    docs = [
        doc("long", "word " * 500),
        doc("short", "word " * 10),
        doc("german", "wort " * 900, language="de"),
        doc("copy", "word " * 900, duplicate_of="long"),
        doc("middle", "word " * 100),
    ]
    groups = ExtractStage(ExtractSettings()).release_groups(docs)
    assert [[docs[i].doc_id for i in group] for group in groups] == [
        ["german"],
        ["copy"],
        ["short"],
        ["middle"],
        ["long"],
    ]


def test_the_installed_spacy_is_compiled_without_cythons_profiling_hooks(stage):
    # make install compiles spaCy from source without them (requirements/spacy.txt): the PyPI
    # wheels for Python 3.11 have them, and the NER then takes about 2.5x the CPU for the same
    # entities. This guards the install, not the code: every speed figure assumes it.
    assert stage.recognizer is not None
    assert not profiled_build(stage.recognizer.nlp), "spaCy has Cython's profiling hooks: run `make install` again"
