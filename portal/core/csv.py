"""The portal's one CSV writer: every export goes through it, so no cell can reach a spreadsheet as a formula.

A text cell starting with ``= + - @``, a tab or a carriage return is run by Excel, LibreOffice or Google Sheets
as a formula (CSV injection: ``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``); it gets a leading apostrophe, which
spreadsheets show as text and hide. Text already starting with an apostrophe gets one more, so ``unguard``
(the catalogue import) gives every value back exactly. Numbers (``int``, ``Decimal``) are written as they
are: a negative amount stays a number. Files are UTF-8 with a byte-order mark (Excel then reads Chinese names
correctly) and CR LF line ends, streamed in chunks so memory stays flat for any number of rows.

There is no other way to write CSV in the portal (a test looks for ``csv.writer`` anywhere else).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CHUNK_ROWS = 500


def guard(text: str) -> str:
    """A text cell a spreadsheet would run as a formula, with a leading apostrophe (see the module)."""
    return "'" + text if text.startswith((*FORMULA_STARTS, "'")) else text


def unguard(text: str) -> str:
    """A cell of an exported file as it was before ``guard``."""
    return text[1:] if text.startswith("'") and text[1:].startswith((*FORMULA_STARTS, "'")) else text


def cell(value) -> str:
    """What goes into the file for ``value``: numbers as they are, booleans as true/false, nothing for
    None, and any other value as guarded text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return guard(str(value))


def chunks(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """The file's text (BOM, header, rows) in pieces of ``CHUNK_ROWS`` rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow([cell(value) for value in header])
    for n, row in enumerate(rows, 1):
        writer.writerow([cell(value) for value in row])
        if n % CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def text(header: Iterable, rows: Iterable[Iterable]) -> str:
    """The whole file as one string."""
    return "".join(chunks(header, rows))


def download(filename: str, header: Iterable, rows: Iterable[Iterable]) -> Response:
    """A streamed ``text/csv`` attachment; ``rows`` are read while the response is sent (in the request's
    context, so a lazy query still has its database session)."""
    response = Response(stream_with_context(chunks(header, rows)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
