"""URL identity: what two spellings of one article share, and what two articles never do."""

from __future__ import annotations

import base64

import pytest

from newsflow_shared.urls import canonical_url, page_canonical_url, unwrap_redirect, url_doc_id


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://WWW.Example.com/a?utm_source=x&id=3#top", "https://www.example.com/a?id=3"),
        ("https://a.example/story.aspx?storyid=77&utm_medium=rss", "https://a.example/story.aspx?storyid=77"),
        ("https://a.example/view?articleId=9&fbclid=abc&gclid=d", "https://a.example/view?articleId=9"),
        ("https://a.example/?p=3&b=2&a=1", "https://a.example/?a=1&b=2&p=3"),
        ("http://a.example:80", "http://a.example/"),
        ("https://a.example:8443/x", "https://a.example:8443/x"),
        ("https://www.google.com/url?rct=j&sa=t&url=https://b.example/x%3Fa%3D1&ct=ga", "https://b.example/x?a=1"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fnyt.example%2Fa&h=AT0", "https://nyt.example/a"),
        ("https://news.google.com/news/url?sa=t&url=https://c.example/s", "https://c.example/s"),
    ],
)
def test_canonical_urls(url: str, canonical: str):
    assert canonical_url(url) == canonical


def test_two_articles_never_share_an_identity():
    ids = {url_doc_id(f"https://a.example/story.aspx?storyid={n}") for n in range(50)}
    alerts = {url_doc_id(f"https://www.google.com/url?rct=j&url=https://b.example/{n}&ct=ga") for n in range(20)}
    assert len(ids) == 50 and len(alerts) == 20
    assert url_doc_id("https://a.example/x?utm_source=feed") == url_doc_id("https://a.example/x#comments")


def test_not_a_web_url():
    assert canonical_url("not a url") is None and canonical_url("ftp://a.example/x") is None
    assert canonical_url("https://a.example:99999/") is None


def test_old_google_news_links_name_their_target_and_others_stay_as_they_are():
    token = base64.urlsafe_b64encode(b"\x08\x13\x22\x1fhttps://www.bbc.example/news/x-123\xd2\x01\x00").decode()
    assert unwrap_redirect(f"https://news.google.com/rss/articles/{token.rstrip('=')}?oc=5") == (
        "https://www.bbc.example/news/x-123"
    )
    assert unwrap_redirect("https://news.google.com/rss/articles/AU_yqLencrypted") == (
        "https://news.google.com/rss/articles/AU_yqLencrypted"
    )
    assert unwrap_redirect("https://site.example/url?url=https://other.example/") == (
        "https://site.example/url?url=https://other.example/"
    ), "only known redirectors are unwrapped"


def test_a_pages_canonical_link_is_believed_unless_it_merges_articles():
    assert page_canonical_url("/a/b", "https://x.example/a/b?utm_source=1") == "https://x.example/a/b"
    assert page_canonical_url("https://orig.example/a", "https://copy.example/b") == "https://orig.example/a"
    assert page_canonical_url("https://x.example/", "https://x.example/2024/story") is None, "the front page"
    assert page_canonical_url("https://x.example/story.aspx", "https://x.example/story.aspx?storyid=7") is None
    assert page_canonical_url(None, "https://x.example/a") is None
