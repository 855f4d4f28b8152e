"""Markdown written by trainers (lessons) and the vendor (announcements, resources), shown as safe HTML.

markdown-it-py renders CommonMark with raw HTML switched off (``<script>`` stays text); nh3 (ammonia) then
keeps only harmless tags and attributes and only http, https and mailto links: scripts, event handlers,
``style`` and ``javascript:``/``data:`` URLs never survive, even from a link or image the Markdown made.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")

TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
        "tr", "ul"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str | None) -> Markup:
    """``text`` (Markdown) as sanitised HTML, safe to put in a page as it is."""
    html = _md.render(text or "")
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="noopener noreferrer nofollow"))
