"""How the metadata figures judge an answer (the scoring itself, not any extractor)."""

from __future__ import annotations

from newsflow_lab.peers import names_publisher, same_day


def test_an_outlet_names_the_publisher_despite_case_accents_domain_endings_and_articles():
    assert names_publisher("stern.de", "Stern") and names_publisher("DER SPIEGEL", "Spiegel Online")
    assert names_publisher("WAZ", "Westdeutsche Allgemeine Zeitung (WAZ)") and names_publisher(
        "euronews", "Euronews (EN)"
    )
    assert names_publisher("Les Echos", "Les Échos") and names_publisher("Die Presse", "Die Presse")
    assert not names_publisher("Security", "Heise") and not names_publisher("dw.com", "Deutsche Welle")
    assert not names_publisher("AA", "Anadolu Ajansı") and not names_publisher(None, "Stern")


def test_a_published_time_is_judged_on_the_gold_day_in_the_gold_zone():
    assert same_day("2024-05-01T23:30:00+00:00", "2024-05-02T08:00:00+02:00")
    assert not same_day("2024-05-01T20:00:00+00:00", "2024-05-02T08:00:00+02:00") and not same_day(None, "2024-05-02")
