"""Web addresses typed by trainers (video and external links of lessons, resource links)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _

from portal.partners.service import take_text


def clean_url(data: dict, name: str, errors: dict, limit: int = 500) -> str:
    """An http(s) address, or "" when empty; anything else (``javascript:``, no host) is refused."""
    text = take_text(data, name, limit, errors)
    if text and name not in errors:
        try:
            parts = urlsplit(text)
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname \
                or any(ch.isspace() for ch in text):
            errors[name] = [_("Enter a web address starting with https://.")]
    return text
