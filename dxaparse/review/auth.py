"""Who is using the workbench, and what they may do: local users with argon2 password hashes, or the
user a trusted reverse proxy names in a header; a CSRF token per session for every form."""

from __future__ import annotations

import hmac
import secrets
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


class Role(StrEnum):
    """What a user may do: a coder corrects, overrides and releases; a viewer only looks."""

    CODER = "coder"
    VIEWER = "viewer"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_ok(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def csrf_token(session: dict) -> str:
    """The session's CSRF token, made on first use: every form carries it back."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, sent: object) -> bool:
    expected = session.get("csrf")
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(expected, sent)
