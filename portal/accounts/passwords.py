"""Password hashing (argon2id) and the password rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps sign-in timing the same.
_DUMMY = _hasher.hash("not-a-real-password")
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def problems(password: str, email: str = "") -> list[str]:
    """Why a new password is not acceptable (empty list when it is)."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(_("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > 256:
        errors.append(_("Use at most 256 characters."))
    if email and password.strip().lower() == email.strip().lower():
        errors.append(_("Do not use your e-mail address as your password."))
    return errors
