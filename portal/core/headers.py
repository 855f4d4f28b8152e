"""Security headers on every response, and no caching of signed-in pages by default.

The rules: every response carries the Content-Security-Policy (no inline scripts or styles) and the other
headers of ``SECURITY_HEADERS`` unless the view set its own. A response for a signed-in user that says
nothing about caching gets ``Cache-Control: private, no-store``: nobody's page is kept by a shared cache or
on disk. Views that may be kept say so themselves (product files; list pages revalidated by ETag,
``portal.pages.conditional``: ``private, no-cache``).
"""

from __future__ import annotations

from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def add_headers(response):
    """after_request: the security headers a response lacks, and no-store for signed-in pages."""
    headers = response.headers
    for name, value in SECURITY_HEADERS:
        headers.setdefault(name, value)
    if "Cache-Control" not in headers and current_user.is_authenticated:
        headers["Cache-Control"] = "private, no-store"
    return response


def install(app) -> None:
    app.after_request(add_headers)
