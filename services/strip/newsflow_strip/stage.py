"""The strip stage (the same code ``newsflow extract`` runs in-process)."""

from __future__ import annotations

from newsflow_shared import topics
from newsflow_shared.models import CleanDocument, PageMetadata, StrippedDocument
from newsflow_shared.stage import Dropped, Stage
from newsflow_strip.html import strip_html
from newsflow_strip.text_lines import strip_text


class StripStage(Stage[CleanDocument, StrippedDocument]):
    """Removes boilerplate; a page with no article text left is dropped as ``no_article_body``."""

    name = "strip"
    input_model = CleanDocument
    input_topic = topics.CLEAN
    output_topic = topics.STRIPPED

    def process(self, doc: CleanDocument) -> StrippedDocument | Dropped:
        if doc.format == "html":
            html = strip_html(doc.content, doc.url)
            body, page = html.body, html.page
        else:
            text = strip_text(doc.content)
            body = text.body
            page = PageMetadata(header_lines=text.header_lines, footer_lines=text.footer_lines)
        if not body.strip():
            return Dropped("no_article_body", "nothing article-like left after boilerplate removal")
        fields = doc.stamped(self.name, body=body, page=page)
        fields.pop("content")
        return StrippedDocument(**fields)
