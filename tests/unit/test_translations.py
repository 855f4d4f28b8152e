"""English, 简体中文 and 繁體中文: every string of the sources is in messages.pot, every message of
messages.pot is translated in both catalogs, and pages, dates and money come out per locale.

A new `_()` string fails here until `make messages` has re-extracted it and someone translated it.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
SOURCE_DIRS = ("portal", "jobs")  # the inputs of `make messages`
LOCALES = ("zh_Hans", "zh_Hant")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _keywords() -> dict:
    """Babel's default keywords plus the Makefile's BABEL_KEYWORDS (`-k _l -k lazy_gettext …`)."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("BABEL_KEYWORDS"):
            args = shlex.split(line.partition("=")[2])
            specs = [spec for flag, spec in zip(args, args[1:], strict=False) if flag == "-k"]
            return {**DEFAULT_KEYWORDS, **parse_keywords(specs)}
    raise AssertionError("the Makefile has no BABEL_KEYWORDS line")


def _extract_sources() -> Catalog:
    """What `make messages` would write to messages.pot now, the way pybabel extract builds it."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog()
    for directory in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT / directory), method_map, options_map, keywords=_keywords(), comment_tags=("TRANSLATORS:",)
        ):
            catalog.add(message, None, [(f"{directory}/{filename}", lineno)], auto_comments=comments,
                        context=context)
    return catalog


def _keys(catalog: Catalog) -> set[tuple[str, str | None]]:
    return {(_msgid(m), m.context) for m in catalog if m.id}


def _msgid(message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _placeholders(text: str) -> set[str]:
    """``%(name)s``-style placeholders, found with the pattern Babel itself uses for python-format."""
    return {match.group(0) for match in PYTHON_FORMAT.finditer(text)} - {"%%"}


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [value or ""]


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read(TRANSLATIONS / "messages.pot")


def test_the_template_holds_every_string_of_the_sources_and_no_other(template):
    extracted = _keys(_extract_sources())
    assert len(extracted) > 100, "extraction found almost nothing: check babel.cfg"
    in_template = _keys(template)
    assert sorted(extracted - in_template) == [], "new strings in the sources: run `make messages` and translate"
    assert sorted(in_template - extracted) == [], "strings gone from the sources: run `make messages`"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_without_fuzzy_entries_and_keeps_its_placeholders(template, locale):
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"{path} is missing"
    catalog = _read(path, locale)
    assert str(catalog.locale) == locale
    assert not catalog.fuzzy, f"{path}: the catalog header is marked fuzzy, so pybabel compile would skip it"

    problems = []
    for original in template:
        if not original.id:
            continue
        msgid = _msgid(original)
        translated = catalog.get(original.id, original.context)
        if translated is None:
            problems.append(f"missing (run `make messages`): {msgid!r}")
            continue
        if translated.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        expected = set().union(*(_placeholders(s) for s in _strings(original.id)))
        for text in _strings(translated.string):
            if not text.strip():
                problems.append(f"untranslated: {msgid!r}")
            elif _placeholders(text) != expected:
                problems.append(f"placeholders {sorted(_placeholders(text))} ≠ {sorted(expected)}: {msgid!r}")
    problems += [f"{msgid!r}: {'; '.join(errors)}" for msgid, errors in
                 ((m.id, [str(e) for e in errs]) for m, errs in catalog.check()) if errors]
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_the_app_loads_matches_the_po_file(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    assert (folder / "messages.mo").is_file(), "run `make translations`"
    def plain(value):  # plural messages come as lists from .mo files and tuples from .po files
        return tuple(value) if isinstance(value, list | tuple) else value

    with (folder / "messages.mo").open("rb") as fh:
        compiled = {(plain(m.id), m.context): plain(m.string) for m in read_mo(fh) if m.id}
    source = {(plain(m.id), m.context): plain(m.string)
              for m in _read(folder / "messages.po", locale) if m.id and m.string}
    assert compiled == source, "messages.mo is stale: run `make translations`"


@pytest.mark.parametrize(("accept", "lang", "sign_in", "forgot", "not_expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans", "登录", "忘记密码？", "登入"),
    ("zh-TW,zh;q=0.9,en;q=0.5", "zh-Hant", "登入", "忘記密碼？", "登录"),
])
def test_sign_in_page_speaks_the_browsers_chinese(client, accept, lang, sign_in, forgot, not_expected):
    response = client.get("/login", headers={"Accept-Language": accept})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in html
    assert f"<h1>{sign_in}</h1>" in html
    assert forgot in html
    assert not_expected not in html
    assert "Sign in" not in html
    assert "Forgot your password?" not in html


def test_sign_in_page_stays_english_for_an_english_browser(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "<h1>Sign in</h1>" in html
    assert "登录" not in html and "登入" not in html


@pytest.mark.parametrize(("accept", "expected"), [
    ("zh-CN", "¥1,234.50"),
    ("zh-TW", "CN¥1,234.50"),
    ("en", "CN¥1,234.50"),
])
def test_money_is_formatted_for_the_visitors_locale(app, accept, expected):
    from portal.core.i18n import format_money

    with app.test_request_context(headers={"Accept-Language": accept}):
        assert format_money(123450, "CNY") == expected


@pytest.mark.parametrize(("accept", "expected"), [
    ("zh-CN", "2026年3月5日 14:30:00"),
    ("zh-TW", "2026年3月5日 下午2:30:00"),
    ("en", "Mar 5, 2026"),
])
def test_dates_are_formatted_for_the_visitors_locale(app, accept, expected):
    from portal.core.i18n import format_when

    with app.test_request_context(headers={"Accept-Language": accept}):
        assert expected in format_when(datetime(2026, 3, 5, 14, 30, tzinfo=UTC))
