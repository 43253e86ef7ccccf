"""Which site a page is from, in words: host labels, names that name a site, readable names."""

from __future__ import annotations

from newsflow_shared.sites import host_label, is_corporate, is_host_like, names_site, site_name_from_host


def test_the_host_label_skips_subdomains_and_country_suffixes():
    assert host_label("https://www.dailyrecord.co.uk/news/a") == "dailyrecord"
    assert host_label("https://japannews.yomiuri.co.jp/a") == "yomiuri"
    assert host_label("https://www1.wdr.de/a") == "wdr"
    assert host_label("https://www.aa.com.tr/tr/a") == "aa"
    assert host_label("https://taz.de/a") == "taz"
    assert host_label("http://127.0.0.1:8080/a") == "" and host_label(None) == "" and host_label("seeds/a.txt") == ""


def test_a_name_names_the_site_by_its_letters_its_start_or_its_initials():
    assert names_site("Daily Record", "dailyrecord") and names_site("dailyrecord.co.uk", "dailyrecord")
    assert names_site("BR24", "br") and names_site("heise online", "heise") and names_site("Diario ABC", "abc")
    assert names_site("Frankfurter Allgemeine Zeitung", "faz") and names_site("Deutsche Welle", "dw")
    assert names_site("Süddeutsche Zeitung", "sueddeutsche") and names_site("Börsen-Zeitung", "boersen-zeitung")
    assert not names_site("Security", "heise") and not names_site("毎日新聞", "mainichi") and not names_site("", "x")


def test_host_like_and_company_names():
    assert is_host_like("FAZ.NET") and is_host_like("Express.co.uk") and not is_host_like("Die Presse")
    assert is_corporate("TAZ Verlags- und Vertriebs GmbH") and is_corporate("Tamedia AG")
    assert not is_corporate("Rest of World") and not is_corporate("Aftonbladet")


def test_a_readable_name_from_the_host_is_spelled_as_the_page_spells_it():
    texts = ["portugal news today", "© 2024 The Portugal News. All rights reserved."]
    assert site_name_from_host("https://www.theportugalnews.com/a", texts) == "The Portugal News"
    assert site_name_from_host("https://www.braunschweiger-zeitung.de/a") == "Braunschweiger Zeitung"
    assert site_name_from_host("https://www.nrk.no/a") == "NRK"
    assert site_name_from_host("https://rp-online.de/a") == "RP Online"
    # Not spelled anywhere (or only as the host is): the label itself, capitalized.
    assert site_name_from_host("https://www.dailyrecord.example/a", ["visit dailyrecord.example"]) == "Dailyrecord"
    assert site_name_from_host(None) is None and site_name_from_host("https://10.0.0.1/a") is None
