"""A product's image and datasheet: checked, stored outside ``static``, and found again for serving.

Rules:
- The type is decided by the file's first bytes (PNG, JPEG, WebP images; PDF datasheets), never
  by its name or the browser's content type. Images are at most 2 MB, datasheets 10 MB; an empty,
  too large or wrong-typed file is refused with a message for its field and nothing is written.
- Files live in ``UPLOAD_DIR`` (default ``<instance>/uploads``) under a random name (the *key*)
  with the extension of the detected type. A file is written to a temporary file in the same
  directory and renamed into place (atomic). A path is only ever built from a key matching
  ``KEY_PATTERN``, never from user input.
- The view commits, then removes the replaced file (``discard``): a failed commit leaves the old
  file in place (the caller discards the new one instead).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from portal.catalogue.admin import _allowed, get_product
from portal.catalogue.models import Product
from portal.core import audit
from portal.core.errors import Invalid, NotFound
from portal.extensions import db

KB = 1024
MB = 1024 * KB
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+\.(png|jpg|webp|pdf)")
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "application/pdf": "pdf"}
KINDS = ("image", "datasheet")


@dataclass(frozen=True)
class Kind:
    name: str
    types: frozenset[str]
    max_bytes: int


RULES = {
    "image": Kind("image", frozenset({"image/png", "image/jpeg", "image/webp"}), 2 * MB),
    "datasheet": Kind("datasheet", frozenset({"application/pdf"}), 10 * MB),
}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes announce, or None for anything we do not accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def upload_dir() -> Path:
    return Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")


def path_for(key: str | None) -> Path | None:
    """The stored file of a key, or None for a key that is not one of ours (no path from user input)."""
    if not key or not KEY_PATTERN.fullmatch(key):
        return None
    return upload_dir() / key


def check(kind: str, data: bytes) -> str:
    """The detected content type of an upload of ``kind``; Invalid (next to its field) when refused."""
    rule = RULES[kind]
    if not data:
        raise Invalid({kind: [_("The file is empty.")]})
    if len(data) > rule.max_bytes:
        raise Invalid({kind: [_("The file is larger than %(mb)s MB.", mb=rule.max_bytes // MB)]})
    content_type = sniff(data[:16])
    if content_type not in rule.types:
        if kind == "image":
            raise Invalid({kind: [_("Upload a PNG, JPEG or WebP image.")]})
        raise Invalid({kind: [_("Upload a PDF file.")]})
    return content_type


def store(data: bytes, content_type: str) -> str:
    """Store ``data`` (of a type in ``EXTENSIONS``) under a new random key — also other areas' uploads: a
    temporary file in the same directory, then a rename."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    key = f"{secrets.token_urlsafe(24)}.{EXTENSIONS[content_type]}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / key)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return key


def discard(key: str | None) -> None:
    """Remove a stored file (after the commit that stopped using it); a missing file is fine."""
    path = path_for(key)
    if path is not None:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Change:
    """What a file action did: the key now stored (or None) and the key it replaced (or None)."""

    new_key: str | None
    old_key: str | None


def _state(product: Product, kind: str) -> dict:
    if kind == "image":
        return {"image_key": product.image_key, "image_type": product.image_type}
    return {"datasheet_key": product.datasheet_key, "datasheet_name": product.datasheet_name,
            "datasheet_type": product.datasheet_type}


def pdf_name(filename: str | None, fallback: str = "datasheet.pdf") -> str:
    """The uploader's name of a PDF for the download (no directories, no control characters, ≤ 200)."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name:
        name = fallback
    if not name.lower().endswith(".pdf"):
        name = f"{name[:196]}.pdf"
    if len(name) > 200:
        name = name[:196] + ".pdf"
    return name


def attach(actor, product_id: int, kind: str, data: bytes, filename: str | None) -> Change:
    """Check and store an upload as the product's image or datasheet (replacing any), audited.

    Refused → Invalid and nothing written (no row change, no file). The caller commits, then
    ``discard``s ``old_key`` — or ``new_key`` when the commit fails.
    """
    _allowed(actor)
    product = get_product(actor, product_id)
    content_type = check(kind, data)
    before = _state(product, kind)
    key = store(data, content_type)
    try:
        if kind == "image":
            product.image_key, product.image_type = key, content_type
        else:
            product.datasheet_key, product.datasheet_type = key, content_type
            product.datasheet_name = pdf_name(filename)
        db.session.flush()
        audit.record(actor, f"product.{kind}_uploaded", product, before=before, after=_state(product, kind),
                     summary=f"{product.sku} {product.name}")
    except BaseException:
        discard(key)
        raise
    return Change(new_key=key, old_key=before[f"{kind}_key"])


def remove(actor, product_id: int, kind: str) -> Change:
    """Stop using the product's image or datasheet, audited; the caller commits then discards ``old_key``."""
    _allowed(actor)
    product = get_product(actor, product_id)
    before = _state(product, kind)
    if before[f"{kind}_key"] is None:
        return Change(new_key=None, old_key=None)
    for name in before:
        setattr(product, name, None)
    db.session.flush()
    audit.record(actor, f"product.{kind}_removed", product, before=before, after=_state(product, kind),
                 summary=f"{product.sku} {product.name}")
    return Change(new_key=None, old_key=before[f"{kind}_key"])


@dataclass(frozen=True)
class Stored:
    path: Path
    content_type: str
    download_name: str
    attachment: bool


def stored(product: Product, kind: str) -> Stored:
    """The product's stored file of ``kind`` for serving; NotFound when there is none (or it is gone)."""
    if kind == "image":
        key, content_type = product.image_key, product.image_type
        download_name = f"{product.sku}.{EXTENSIONS.get(content_type or '', 'bin')}"
    else:
        key, content_type = product.datasheet_key, product.datasheet_type
        download_name = product.datasheet_name or f"{product.sku}.pdf"
    path = path_for(key)
    if path is None or content_type not in RULES[kind].types or EXTENSIONS[content_type] != path.suffix[1:] \
            or not path.is_file():
        raise NotFound(_("There is no such file."))
    return Stored(path, content_type, download_name, attachment=kind == "datasheet")


def loaded(product_id: int) -> Product | None:
    """The Product row a catalogue query just loaded (from the session's identity map: no query)."""
    return db.session.get(Product, product_id)
