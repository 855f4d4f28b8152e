"""Flask's signed-cookie session and Flask-WTF's CSRF token, without re-doing the same signing work on
every request.

A browser sends the same session cookie with request after request, and every page signs the same
CSRF secret again. Both are pure functions of (secret key, value); what they cost per request
(~0.1 ms to verify and decode the cookie, ~0.15 ms to sign the token) is a real share of a signed-in
page, so the results are kept per process (bounded):

- A cookie value that verified once is not verified again: its decoded data and signing time are
  remembered, the session's max age is still checked on every request, and each request gets its
  own deep copy (a request that changes its session never changes the remembered data).
- The signed CSRF token of a session is reused for ``CSRF_REUSE_SECONDS``. Flask-WTF validates it as
  usual (signature with the same key, and its time limit when one is set: the reuse window is kept
  well inside it).
"""

from __future__ import annotations

import copy
import time

from flask import g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

MAX_REMEMBERED = 10_000
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
CSRF_REUSE_SECONDS = 300


class CookieSessionInterface(SecureCookieSessionInterface):
    """``SecureCookieSessionInterface`` (same cookie, same format) remembering verified cookie values."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}
        self._opened: dict[tuple, tuple[dict, float]] = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), self.salt)
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (serializer, value)
        known = self._opened.get(key)
        if known is None:
            try:
                data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:  # includes an expired signature
                return self.session_class()
            known = (data, signed_at.timestamp())
            if len(self._opened) >= MAX_REMEMBERED:
                self._opened.clear()
            self._opened[key] = known
        data, signed_at = known
        age = time.time() - signed_at
        if age < 0 or age > max_age:  # what itsdangerous checks on every loads()
            return self.session_class()
        if all(type(value) in _IMMUTABLE for value in data.values()):
            return self.session_class(data)  # a copy of the dict; its values cannot be changed in place
        return self.session_class(copy.deepcopy(data))


_signed_csrf: dict[tuple, tuple[str, float]] = {}


def install_csrf_reuse(app) -> None:
    """Before each request, hand Flask-WTF the session's signed token when it was signed within the
    window (``generate_csrf`` returns ``g.csrf_token`` when set, for forms and templates alike); after
    it, remember a token this request had to sign."""

    @app.before_request
    def _reuse_signed_token():
        field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        raw = session.get(field)
        known = _signed_csrf.get(_csrf_key(app, raw)) if raw else None
        if known is not None and 0 <= time.time() - known[1] < _window(app):
            setattr(g, field, known[0])
            g.portal_csrf_reused = True

    @app.after_request
    def _remember_signed_token(response):
        field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        token = g.get(field)
        if token and not g.get("portal_csrf_reused") and (raw := session.get(field)):
            if len(_signed_csrf) >= MAX_REMEMBERED:
                _signed_csrf.clear()
            _signed_csrf[_csrf_key(app, raw)] = (token, time.time())
        return response


def _csrf_key(app, raw: str) -> tuple:
    return (app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, raw)


def _window(app) -> float:
    limit = app.config.get("WTF_CSRF_TIME_LIMIT")
    return CSRF_REUSE_SECONDS if limit is None else min(CSRF_REUSE_SECONDS, limit / 12)
