"""Non-article pages to train the article check against: made here, never crawled.

Two kinds:

- **Section pages of the development sites**: an article page with its article taken out (its
  paragraphs, ``<article>`` elements, article JSON-LD and ``og:type``), leaving what a section
  front of that site shows: navigation, headline links, teasers, footers. Grouped with the
  publisher's articles, so no fold sees a site's article and test its section page.
- **Generated pages** of the kinds a crawl returns besides news: product pages, shop listings,
  job boards, lottery results, link farms and adult spam, front pages of headline links, login
  and error pages. Sentences for teasers come from the gold bodies of other pages, so a
  non-article is not told apart by its vocabulary.

Deterministic for a seed.
"""

from __future__ import annotations

import html as html_lib
import json
import random
from collections.abc import Callable, Sequence

import lxml.html

from newsflow_lab.layouts import rewrite

WORDS = (
    "home news sport world business culture travel weather video login account help contact about "
    "shop sale offers deals new top best cheap free premium gold silver size colour color blue red "
    "black white small medium large kaufen angebot preis versand warenkorb neu jetzt precio oferta "
    "comprar envío gratis prix livraison panier acheter nuovo prezzo carrello oferta promoção "
    "розница цена купить 価格 購入 送料無料 가격 구매 배송"
).split()
KEYWORDS = "casino slots bonus jackpot poker betting dating singles webcam xxx hot girls viagra loans crypto".split()


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def _title(rng: random.Random) -> str:
    return _words(rng, 2, 6).title()


def _page(rng: random.Random, body: str, head: str = "", lang: str = "en") -> str:
    # Junk made with a blog or news CMS carries its article markup: the check must not trust it alone.
    if rng.random() < 0.3:
        head += '<meta property="og:type" content="article">'
    if rng.random() < 0.3:
        body = f"<article>{body}</article>"
    if rng.random() < 0.1:
        head += _ld("NewsArticle", headline=_title(rng))
    if rng.random() < 0.3:
        head += f'<meta property="article:published_time" content="20{rng.randint(10, 26)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}">'
    nav = "".join(f'<li><a href="/{rng.choice(WORDS)}">{_title(rng)}</a></li>' for _ in range(rng.randint(4, 14)))
    footer = "".join(f'<a href="/{rng.choice(WORDS)}">{_title(rng)}</a> ' for _ in range(rng.randint(3, 12)))
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{_title(rng)}</title>{head}</head>'
        f"<body><header><nav><ul>{nav}</ul></nav></header><main>{body}</main>"
        f"<footer>{footer}<p>© {rng.randint(2005, 2026)} {_title(rng)}</p></footer></body></html>"
    )


def _ld(kind: str, **fields: object) -> str:
    return f'<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", "@type": kind, **fields})}</script>'


def _price(rng: random.Random) -> str:
    amount = f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"
    return rng.choice([f"${amount}", f"€{amount}", f"{amount} €", f"£{amount}", f"¥{rng.randint(100, 99999)}"])


def product(rng: random.Random, sentences: Sequence[str]) -> str:
    name = _title(rng)
    specs = "".join(f"<li>{_words(rng, 1, 3)}: {_words(rng, 1, 4)}</li>" for _ in range(rng.randint(3, 12)))
    reviews = "".join(
        f"<div class='review'><b>{_title(rng)}</b><p>{rng.choice(sentences)}</p></div>"
        for _ in range(rng.randint(0, 5))
    )
    head = (_ld("Product", name=name, offers={"@type": "Offer", "price": "10"}) if rng.random() < 0.5 else "") + (
        '<meta property="og:type" content="product">' if rng.random() < 0.4 else ""
    )
    body = (
        f"<h1>{name}</h1><div class='price'>{_price(rng)}</div><form><select><option>S</option><option>M</option>"
        f"</select><input type='number' value='1'><button>Add to cart</button></form><p>{rng.choice(sentences)}</p>"
        f"<ul>{specs}</ul>{reviews}"
    )
    return _page(rng, body, head)


def listing(rng: random.Random, sentences: Sequence[str]) -> str:
    cards = "".join(
        f"<div class='card'><a href='/p/{rng.randint(1, 99999)}'>{_title(rng)}</a><span>{_price(rng)}</span>"
        f"<a href='/cart'>Buy</a></div>"
        for _ in range(rng.randint(8, 48))
    )
    head = _ld("ItemList", numberOfItems=20) if rng.random() < 0.3 else ""
    return _page(rng, f"<h1>{_title(rng)}</h1><form><select><option>Sort</option></select></form>{cards}", head)


def jobs(rng: random.Random, sentences: Sequence[str]) -> str:
    posts = "".join(
        f"<div class='job'><h3><a href='/job/{rng.randint(1, 99999)}'>{_title(rng)}</a></h3><span>{_title(rng)}</span>"
        f" · <span>{_words(rng, 1, 2)}</span> · <span>{_price(rng)} / year</span>"
        + (f"<p>{rng.choice(sentences)}</p>" if rng.random() < 0.4 else "")
        + "<a href='/apply'>Apply now</a></div>"
        for _ in range(rng.randint(5, 30))
    )
    head = _ld("JobPosting", title="x") if rng.random() < 0.3 else ""
    return _page(rng, f"<h1>{_title(rng)} jobs</h1><form><input name='q'><button>Search</button></form>{posts}", head)


def lottery(rng: random.Random, sentences: Sequence[str]) -> str:
    rows = "".join(
        f"<tr><td>{rng.randint(1, 28)}.{rng.randint(1, 12)}.{rng.randint(2010, 2026)}</td>"
        + "".join(f"<td>{rng.randint(1, 49)}</td>" for _ in range(6))
        + f"<td>{_price(rng)}</td></tr>"
        for _ in range(rng.randint(5, 40))
    )
    return _page(rng, f"<h1>{_title(rng)} results</h1><p>{_words(rng, 4, 12)}</p><table>{rows}</table>")


def link_farm(rng: random.Random, sentences: Sequence[str]) -> str:
    keyword = rng.choice(KEYWORDS)
    links = "".join(
        f"<li><a href='/{keyword}-{rng.randint(1, 9999)}'>{keyword} {rng.choice(KEYWORDS)} {_words(rng, 0, 3)}</a></li>"
        for _ in range(rng.randint(30, 150))
    )
    stuffed = " ".join(f"{keyword} {rng.choice(KEYWORDS)}" for _ in range(rng.randint(10, 60)))
    lines = "".join(f"<p>{rng.choice(KEYWORDS).title()} {_words(rng, 2, 7)}! 18+</p>" for _ in range(rng.randint(0, 8)))
    return _page(rng, f"<h1>{keyword.title()} {_title(rng)}</h1>{lines}<div>{stuffed}</div><ul>{links}</ul>")


def front_page(rng: random.Random, sentences: Sequence[str]) -> str:
    items = "".join(
        f"<div class='teaser'><h2><a href='/news/{rng.randint(1, 99999)}'>{html_lib.escape(rng.choice(sentences)[:90])}</a></h2>"
        + (f"<p>{html_lib.escape(rng.choice(sentences))}</p>" if rng.random() < 0.5 else "")
        + "</div>"
        for _ in range(rng.randint(10, 60))
    )
    head = '<meta property="og:type" content="website">' if rng.random() < 0.5 else ""
    return _page(rng, items, head)


def short_page(rng: random.Random, sentences: Sequence[str]) -> str:
    body = rng.choice(
        [
            "<h1>404</h1><p>Page not found.</p><a href='/'>Home</a>",
            "<h1>Sign in</h1><form><input name='user'><input type='password'><button>Log in</button></form>",
            f"<h1>{_title(rng)}</h1><p>This site uses cookies. {_words(rng, 5, 20)}</p><button>Accept</button>",
            f"<h1>{_title(rng)}</h1><p>Subscribe to continue reading.</p><form><input name='email'></form>",
        ]
    )
    return _page(rng, body)


GENERATORS: tuple[Callable[[random.Random, Sequence[str]], str], ...] = (
    product,
    listing,
    jobs,
    lottery,
    link_farm,
    front_page,
    short_page,
)


def generated_pages(count: int, sentences: Sequence[str], seed: int) -> list[tuple[str, str]]:
    """``count`` generated non-article pages as (kind, html), the kinds in turn."""
    rng = random.Random(seed)
    return [
        (GENERATORS[i % len(GENERATORS)].__name__, GENERATORS[i % len(GENERATORS)](rng, sentences))
        for i in range(count)
    ]


_ARTICLE_LD = ("article", "newsarticle", "blogposting", "reportagenewsarticle", "liveblogposting")


def _article_taken_out(tree: lxml.html.HtmlElement) -> None:
    for node in tree.xpath("//p|//article|//time|//blockquote|//figure"):
        node.drop_tree()
    for node in tree.xpath('//script[@type="application/ld+json"]'):
        if any(kind in (node.text or "").lower() for kind in _ARTICLE_LD):
            node.drop_tree()
    for node in tree.xpath("//meta[@property='og:type' or starts-with(@property, 'article:')]"):
        node.drop_tree()


def section_page(article_html: str) -> str | None:
    """The article page with its article taken out (see the module docstring); None if unparsable."""
    return rewrite(article_html, _article_taken_out)
