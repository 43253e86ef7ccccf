"""Alerts without I/O: what matches a saved search, what a notification says, what is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from newsflow_index.alerts import document_matches, notification, starts_story
from newsflow_index.query import matches, parse_query, words
from newsflow_shared.alerts_api import Alert, AlertFilters, AlertRequest
from tests.contract.corpus import doc

CALL = doc(
    "call",
    "President Joe Biden held a phone call with Vladimir Putin about the Ukraine border.",
    title="Biden and Putin talk",
    outlet="RFE/RL",
    entities=("Joe Biden", "Vladimir Putin"),
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("putin", True),
        ('"phone call"', True),
        ('"call phone"', False),
        ("biden -putin", False),
        ("merkel OR putin", True),
        ("merkel", False),
        ("-crimea", True),
        ('"vladimir putin"', True),  # the entity field holds the phrase too
        ("talk border", True),  # words from title and body together
    ],
)
def test_an_alert_matches_a_document_as_a_search_would(query: str, expected: bool):
    assert document_matches(CALL, parse_query(query), AlertFilters()) is expected


def test_filters_narrow_a_match_case_insensitively():
    query = parse_query("putin")
    assert document_matches(CALL, query, AlertFilters(outlet="rfe/rl", entity="joe biden", language="en"))
    assert not document_matches(CALL, query, AlertFilters(outlet="Reuters"))
    assert not document_matches(CALL, query, AlertFilters(language="de"))
    assert not document_matches(CALL, query, AlertFilters(entity="Angela Merkel"))


def test_a_phrase_never_spans_two_fields():
    assert not matches(parse_query('"talk president"'), [words("Biden and Putin talk"), words("President Biden")])


def test_a_notification_names_the_match_and_whether_it_starts_a_story():
    alert = Alert(id="a1", query="putin", webhook_url="https://hooks.example/x")
    note = notification(alert, CALL.model_copy(update={"story_id": "story-call"}))
    assert (note.delivery_id, note.doc_id, note.new_story, note.outlet) == ("a1:call", "call", False, "RFE/RL")
    assert starts_story(CALL.model_copy(update={"story_id": "call"}))


@pytest.mark.parametrize(
    "body",
    [
        {"query": "x", "webhook_url": "ftp://hooks.example/x"},
        {"query": "x", "webhook_url": "not a url"},
        {"query": "x", "on": "sometimes"},
        {"query": "x", "filters": {"country": "fr"}},
        {"query": "x", "surprise": True},
    ],
)
def test_a_malformed_alert_is_refused(body: dict):
    with pytest.raises(ValidationError):
        AlertRequest.model_validate(body)
