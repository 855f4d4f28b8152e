"""Uploaded files of the enablement area (lesson attachments, library resources): checked, stored outside
``static`` the house way (``portal.catalogue.files``: random key, atomic write, path only from a key), and
served as downloads.

- The type is decided by the first bytes: PDF, PNG or JPEG; never by the name or the browser's type.
- At most 10 MB; empty, too large or other files are refused next to the field and nothing is written.
- The download name is the uploader's file name without directories or control characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import send_file
from flask_babel import gettext as _

from portal.catalogue import files
from portal.core.errors import Invalid, NotFound

MAX_BYTES = 10 * files.MB
TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def check(field: str, data: bytes) -> str:
    """The detected content type of an upload; Invalid next to ``field`` when refused."""
    if not data:
        raise Invalid({field: [_("The file is empty.")]})
    if len(data) > MAX_BYTES:
        raise Invalid({field: [_("The file is larger than %(mb)s MB.", mb=MAX_BYTES // files.MB)]})
    content_type = files.sniff(data[:16])
    if content_type not in TYPES:
        raise Invalid({field: [_("Upload a PDF, PNG or JPEG file.")]})
    return content_type


def download_name(filename: str | None, content_type: str) -> str:
    """The uploader's file name (no directories, no control characters, at most 200) with the right extension."""
    extension = files.EXTENSIONS[content_type]
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"').strip() or f"file.{extension}"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:190]}.{extension}"


@dataclass(frozen=True)
class Upload:
    key: str
    name: str
    content_type: str


def store(field: str, data: bytes, filename: str | None) -> Upload:
    content_type = check(field, data)
    return Upload(files.store(data, content_type), download_name(filename, content_type), content_type)


def serve(key: str | None, content_type: str | None, name: str | None):
    """A stored file as an attachment download; NotFound when there is none (or the key is not ours)."""
    path: Path | None = files.path_for(key)
    if path is None or content_type not in TYPES or not path.is_file() \
            or files.EXTENSIONS[content_type] != path.suffix[1:]:
        raise NotFound(_("There is no such file."))
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=name or path.name,
                         conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


discard = files.discard
