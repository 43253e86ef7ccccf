"""URLs and document identity: one spelling per page, and never one spelling for two pages.

``canonical_url`` is what a document's URL identity is made of (``url_doc_id``). It removes only
what cannot tell two articles apart: the fragment, a default port, the case of the scheme and
host, the order of query parameters, and parameters known to be tracking (``utm_*``, ``fbclid``,
``gclid`` …). Every other query parameter is kept, because on many sites it *is* the article
(``story.aspx?storyid=77``, ``view?articleId=9``, ``?p=123``). Links through a known redirector
(Google Alerts and Google News, Facebook's and others' link shims) are unwrapped to their
target when the target is written in the link.

After a page is fetched, its own ``<link rel=canonical>`` or ``og:url`` (``page_canonical_url``)
decides which copies are the same article; dedup then links them (``duplicate_url``) rather than
ingest merging them up front under one id.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from newsflow_shared.models import stable_doc_id

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "igsh", "li_fat_id", "mc_cid", "mc_eid", "mkt_tok", "_ga", "_gl", "_hsenc", "_hsmi",
        "hsctatracking", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "s_kwcid",
        "wickedid", "guccounter", "guce_referrer", "guce_referrer_sig", "ocid", "ncid", "icid", "cmpid",
        "smid", "smtyp", "sr_share", "xtor", "wt.mc_id", "wt_mc", "s_cid", "spm", "ito", "ref_src",
        "ref_url", "cid_source", "trk", "trkcampaign", "sc_channel", "sc_campaign", "fb_action_ids",
        "fb_action_types", "fb_ref", "fb_source", "action_object_map", "action_type_map",
        "action_ref_map", "__twitter_impression", "at_xt", "sh_kit", "cmp", "emc", "share",
    }
)  # fmt: skip
"""Query parameters (lower-cased) that say how a reader arrived, never which article it is."""
TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_", "hsa_", "itm_", "ga_", "sr_")

_REDIRECT_TARGET_KEYS = ("url", "q", "u", "target", "dest", "destination", "redirect", "redirect_url", "link", "to")
_REDIRECTOR_PATHS = re.compile(
    r"^/(url|news/url|l\.php|link|out|redirect|redir|r|away|away\.php|goto|click|exit)/?$", re.I
)
_REDIRECTOR_HOSTS = re.compile(
    r"(^|\.)(google\.[a-z.]+|l\.facebook\.com|lm\.facebook\.com|l\.instagram\.com|out\.reddit\.com|"
    r"t\.umblr\.com|l\.messenger\.com|slack-redir\.net|href\.li|vk\.com|away\.vk\.com|"
    r"news\.yahoo\.com|r\.search\.yahoo\.com|bing\.com|duckduckgo\.com|linkedin\.com|youtube\.com)$",
    re.I,
)
_EMBEDDED_URL = re.compile(rb"https?://[\x21-\x7e]+")
MAX_UNWRAP = 3


def _absolute_target(value: str) -> str | None:
    candidate = unquote(value) if value.lower().startswith(("http%3a", "https%3a")) else value
    parts = urlsplit(candidate)
    return candidate if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def _google_news_target(token: str) -> str | None:
    """The target of an old-style ``news.google.com/articles/CBMi…`` link: a base64 protobuf
    holding the URL in clear (newer tokens are encrypted and are left as they are)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    found = _EMBEDDED_URL.search(raw)
    return found.group(0).decode("ascii") if found else None


def unwrap_redirect(url: str) -> str:
    """The link's target when ``url`` is a known redirector with the target in it, else ``url``."""
    for _ in range(MAX_UNWRAP):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        target = None
        if host == "news.google.com" and (match := re.match(r"^/(?:rss/)?articles/([A-Za-z0-9_-]+)", parts.path)):
            target = _google_news_target(match.group(1))
        elif _REDIRECTOR_HOSTS.search(host) and _REDIRECTOR_PATHS.match(parts.path):
            params = {key.lower(): value for key, value in parse_qsl(parts.query, keep_blank_values=True)}
            target = next(
                (t for key in _REDIRECT_TARGET_KEYS if key in params and (t := _absolute_target(params[key]))), None
            )
        if target is None or target == url:
            return url
        url = target
    return url


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str | None:
    """The URL's one spelling (see the module docstring); None unless it is an http(s) URL."""
    url = unwrap_redirect(url.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = sorted(
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_parameter(key)
    )
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def url_doc_id(url: str) -> str:
    """The document id of anything identified by a URL (a fetched page, a WARC record, a JSON
    record or a pushed document that gives only its URL): stable for its canonical URL."""
    return stable_doc_id(f"url:{canonical_url(url) or url.strip()}")


def page_canonical_url(declared: str | None, fetched_url: str | None) -> str | None:
    """The canonical URL a page declares for itself, when it can be believed.

    Resolved against the page's URL. Two common CMS mistakes are refused, since believing them
    would merge different articles: a canonical pointing at the site's front page from an
    article page, and one that drops the query parameters that identify the article
    (``story.aspx?storyid=77`` declaring ``story.aspx``)."""
    if not declared or not declared.strip():
        return None
    resolved = canonical_url(urljoin(fetched_url or "", declared.strip()))
    if resolved is None:
        return None
    own = canonical_url(fetched_url) if fetched_url else None
    if own is None:
        return resolved
    declared_parts, own_parts = urlsplit(resolved), urlsplit(own)
    if declared_parts.path in ("", "/") and own_parts.path not in ("", "/"):
        return None
    same_page = (declared_parts.netloc, declared_parts.path) == (own_parts.netloc, own_parts.path)
    if same_page and own_parts.query and declared_parts.query != own_parts.query:
        return None
    return resolved


def is_web_url(source: str) -> bool:
    """True for an http(s) URL (what ingest fetches rather than reads from disk)."""
    return source.lower().startswith(("http://", "https://"))
