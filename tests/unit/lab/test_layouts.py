"""Layout variants: the same article's text in older or plainer markup, nothing of it lost."""

import lxml.html

from newsflow_lab.layouts import REWRITES, rewritten, variant_name

PAGE = """<html lang="en"><head><title>Rain</title></head><body>
<nav class="site-nav"><a href="/">Home</a></nav>
<main id="content"><article class="article-body" itemprop="articleBody">
<h1>Rain falls</h1><p>First paragraph, <a href="/x">with a link</a>.</p><p>Second one.</p>
</article></main><footer role="contentinfo">© Paper</footer></body></html>"""


def _text(html: str) -> str:
    return " ".join(lxml.html.document_fromstring(html).text_content().split())


def test_paragraphs_become_text_between_double_line_breaks():
    out = rewritten(PAGE, "breaks")
    assert out is not None
    root = lxml.html.document_fromstring(out)
    assert not root.findall(".//p")
    assert len(root.findall(".//article/br")) == 4
    assert root.find(".//article/a").text == "with a link"
    assert 'itemprop="articleBody"' in out


def test_plain_markup_has_no_class_id_role_or_sectioning_element():
    out = rewritten(PAGE, "plain")
    assert out is not None
    for word in ("class=", "id=", "role=", "itemprop=", "<article", "<main", "<nav", "<footer"):
        assert word not in out
    assert 'lang="en"' in out  # the page's language still reads


def test_every_rewrite_keeps_the_text_and_the_choice_is_fixed_by_the_page_id():
    for name in REWRITES:
        out = rewritten(PAGE, name)
        assert out is not None
        assert _text(out) == _text(PAGE)
    assert variant_name("abc") == variant_name("abc")
    assert {variant_name(str(n)) for n in range(50)} == set(REWRITES)


def test_an_unreadable_page_has_no_variant():
    assert rewritten("", "breaks") is None
