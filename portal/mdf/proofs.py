"""A claim's proof-of-performance files: checked, stored outside ``static`` like product files
(``catalogue.files``: type from the first bytes, random key, atomic write) and served only to those who see
the request (another partner's file is 404), always as a download.

Rules: PDF, PNG, JPEG or WebP; each at most 10 MB; one to ``MAX_FILES`` files per claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from portal.catalogue import files
from portal.core.errors import Invalid, NotFound
from portal.extensions import db
from portal.mdf.models import MdfFile, MdfRequest
from portal.partners.service import partner_scope

MAX_BYTES = 10 * files.MB
MAX_FILES = 5
TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/webp"})


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def check(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    """Each upload with its detected type; Invalid for the ``proof`` field when any is refused or none given."""
    if not uploads:
        raise Invalid({"proof": [_("Attach at least one proof-of-performance file.")]})
    if len(uploads) > MAX_FILES:
        raise Invalid({"proof": [_("Attach at most %(n)s files.", n=MAX_FILES)]})
    out = []
    for upload in uploads:
        if not upload.data:
            raise Invalid({"proof": [_("%(name)s is empty.", name=upload.name)]})
        if len(upload.data) > MAX_BYTES:
            raise Invalid({"proof": [_("%(name)s is larger than %(mb)s MB.", name=upload.name,
                                       mb=MAX_BYTES // files.MB)]})
        content_type = files.sniff(upload.data[:16])
        if content_type not in TYPES:
            raise Invalid({"proof": [_("%(name)s is not a PDF, PNG, JPEG or WebP file.", name=upload.name)]})
        out.append((upload, content_type))
    return out


def display_name(filename: str | None, content_type: str) -> str:
    """The uploader's file name (no folders, printable, ≤ 200) with the extension of its real type."""
    name = files.pdf_name(filename, "proof.pdf")[:-4] if filename else "proof"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:190] or 'proof'}.{files.EXTENSIONS[content_type]}"


def attach(actor, row: MdfRequest, checked: list[tuple[Upload, str]]) -> list[str]:
    """Store the files of a claim; their keys (for ``discard`` when the commit fails)."""
    keys = []
    try:
        for upload, content_type in checked:
            key = files.store(upload.data, content_type)
            keys.append(key)
            db.session.add(MdfFile(request_id=row.id, partner_id=row.partner_id, key=key,
                                   name=display_name(upload.name, content_type), content_type=content_type,
                                   size=len(upload.data), uploaded_by=actor.id))
        db.session.flush()
    except BaseException:
        discard(keys)
        raise
    return keys


def discard(keys: list[str]) -> None:
    for key in keys:
        files.discard(key)


def of_request(row: MdfRequest) -> list[MdfFile]:
    return list(db.session.scalars(select(MdfFile).where(MdfFile.request_id == row.id).order_by(MdfFile.id)))


@dataclass(frozen=True)
class Stored:
    path: Path
    content_type: str
    download_name: str


def stored(actor, file_id: int) -> Stored:
    """A proof file the actor may see, for download; NotFound for another partner's (or a missing) file."""
    from portal.mdf import service

    service.viewer(actor)
    found = db.session.scalar(select(MdfFile).where(MdfFile.id == file_id,
                                                    partner_scope(actor, MdfFile.partner_id)))
    path = files.path_for(found.key) if found is not None else None
    if found is None or path is None or not path.is_file():
        raise NotFound(_("There is no such file."))
    return Stored(path, found.content_type, found.name)
