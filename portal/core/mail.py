"""Sending one e-mail message.

Default: the message is written as an ``.eml`` file into the outbox folder (open it with any
mail client). With ``MAIL_URL`` (``smtp://user:pass@host:25``, ``smtp+starttls://…:587`` or
``smtps://…:465``) it goes to that SMTP server.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app


def build_message(sender: str, to: str, subject: str, text: str, html: str, idstring: str = "") -> EmailMessage:
    """A multipart/alternative message: the plain-text part first, the HTML part preferred."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    # Unique across databases and retries; the domain comes from the sender (no DNS lookup).
    msg["Message-ID"] = make_msgid(idstring=idstring or None, domain=parseaddr(sender)[1].rpartition("@")[2]
                                   or "partner-portal")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to the portal
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(msg: EmailMessage) -> None:
    url = current_app.config["MAIL_URL"]
    if url:
        _send_smtp(url, msg)
    else:
        _write_eml(Path(current_app.config["OUTBOX_DIR"]), msg)


def _write_eml(folder: Path, msg: EmailMessage) -> Path:
    """Atomically write the message (temp file + rename), so a reader never sees half a file.

    The name starts with the time, so the folder lists in sending order; the Message-ID part keeps
    it unique (a new database reuses outbox ids, a name built from them would overwrite mail)."""
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", str(msg["Message-ID"]).strip("<>"))[:80]
    final = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{slug}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes())
    os.replace(tmp, final)
    return final


def _send_smtp(url: str, msg: EmailMessage) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port or 465, timeout=30,
                                                context=ssl.create_default_context())
    elif parts.scheme in {"smtp", "smtp+starttls"}:
        client = smtplib.SMTP(host, port or 25, timeout=30)
    else:
        raise ValueError(f"MAIL_URL scheme must be smtp, smtp+starttls or smtps, not {parts.scheme!r}")
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)
