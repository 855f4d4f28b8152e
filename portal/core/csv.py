"""The portal's one CSV writer and reader: every export goes through it, so no cell can reach a spreadsheet as
a formula; every import reads its file with ``read_rows`` (size, encoding, header and row checks in one place).

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
from dataclasses import dataclass
from decimal import Decimal

from flask import Response, stream_with_context
from flask_babel import gettext as _

from portal.core.errors import Invalid

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CHUNK_ROWS = 500
MAX_IMPORT_BYTES = 2 * 1024 * 1024


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


# --- reading an uploaded file ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int  # the line's number in the file as a spreadsheet shows it (the header is row 1)
    column: str
    message: str


class ImportRejected(Invalid):
    """The file, or some of its rows, broke the rules; ``row_errors`` lists them. Nothing was written."""

    def __init__(self, message: str, row_errors: list[RowError] | None = None):
        super().__init__(message)
        self.row_errors = row_errors or []


def read_rows(data: bytes, columns: Iterable[str], empty: str, max_rows: int | None = None
              ) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded CSV file as (line number, {column: unguarded value}), blank lines skipped.
    ImportRejected (with ``empty`` when there is no row) for a file over 2 MB, not UTF-8, not CSV, without
    one of ``columns`` in its header row, or with more than ``max_rows`` rows."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected(_("The file is larger than 2 MB."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")) from exc
    if "\x00" in text:
        raise ImportRejected(_("The file is not a CSV file."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRejected(_("The file is empty."))
        header = [name.strip().lower() for name in header]
        missing = [name for name in columns if name not in header]
        if missing:
            raise ImportRejected(_("The header row lacks these columns: %(columns)s.", columns=", ".join(missing)))
        rows = []
        for record in reader:
            if not any(value.strip() for value in record):
                continue
            rows.append((reader.line_num, {k: unguard(v) for k, v in zip(header, record, strict=False)}))
            if max_rows is not None and len(rows) > max_rows:
                raise ImportRejected(_("The file has more than %(n)s rows.", n=max_rows))
    except csv.Error as exc:
        raise ImportRejected(_("The file is not a valid CSV file (line %(n)s).", n=reader.line_num)) from exc
    if not rows:
        raise ImportRejected(empty)
    return rows
