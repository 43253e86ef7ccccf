"""Pages that carry their article only in their scripts (newsflow_strip.scripted)."""

import json

from trafilatura.utils import load_html

from newsflow_strip.html import strip_html
from newsflow_strip.scripted import scripted_html

PARAGRAPHS = [
    "The council voted on Tuesday to close the old bridge to cars, citing a survey that found the deck unsafe.",
    "Engineers said repairs would take at least two years and cost more than the city had set aside for them.",
    "Residents of the east bank, who lose their shortest way into town, plan to protest at the next meeting.",
]
ARTICLE = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
HEAD = "<head><title>Bridge closed - The Courier</title><meta property='og:title' content='Bridge closed'></head>"


def _flight_page(article: str) -> str:
    """A Next.js App Router page: an empty body, the article as a text row of the RSC stream,
    split over two pushes as the stream chunks it."""
    size = format(len(article.encode()), "x")
    stream = f'1:I[123,[],"Layout"]\n24:T{size},{article}\n25:["$","div",null,{{"children":"$24"}}]\n'
    half = len(stream) // 2
    pushes = "".join(
        f"<script>self.__next_f.push([1,{json.dumps(part)}])</script>" for part in (stream[:half], stream[half:])
    )
    return f"<html>{HEAD}<body><div id='root'></div>{pushes}</body></html>"


def test_text_rows_of_the_flight_stream_are_read_across_pushes():
    html = scripted_html(load_html(_flight_page(ARTICLE)))
    assert html is not None
    assert all(p in html for p in PARAGRAPHS)


def test_json_data_scripts_give_their_html_strings():
    data = {"props": {"pageProps": {"story": {"id": 7, "bodyHtml": ARTICLE, "kicker": "Roads"}}}}
    script = f"<script id='__NEXT_DATA__' type='application/json'>{json.dumps(data)}</script>"
    page = f"<html>{HEAD}<body><div id='__next'></div>{script}</body></html>"
    html = scripted_html(load_html(page))
    assert html is not None
    assert all(p in html for p in PARAGRAPHS)


def test_a_page_drawn_by_scripts_gets_its_article_as_body():
    body = strip_html(_flight_page(ARTICLE), "https://courier.example/news/bridge").body
    assert body.split("\n\n") == PARAGRAPHS


def test_a_page_with_prose_in_its_body_is_read_from_its_body():
    page = _flight_page("<p>" + "A different text that only the script holds, long enough to be prose. " * 3 + "</p>")
    page = page.replace("<div id='root'></div>", f"<article>{ARTICLE}</article>")
    body = strip_html(page, "https://courier.example/news/bridge").body
    assert "only the script holds" not in body
    assert PARAGRAPHS[0] in body


def test_scripts_without_markup_give_nothing():
    push = json.dumps('1:I[1,[],"Layout"]\n2:["$","div",null,{"children":"a short caption"}]\n')
    page = f"<html>{HEAD}<body><script>self.__next_f.push([1,{push}])</script></body></html>"
    assert scripted_html(load_html(page)) is None
