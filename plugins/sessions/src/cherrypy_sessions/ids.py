"""Session ids: how they are made and which ones may reach a storage backend.

Ids come from :mod:`secrets` (160 bits, as 40 hex digits, the shape CherryPy uses).  A client
sends ids back in a cookie, so before any backend sees one it must match :data:`ID_PATTERN`:
letters, digits, ``-`` and ``_`` only, 16 to 128 characters.  That rules out path separators,
dots, NUL bytes and anything else a file or database backend could misread.
"""

from __future__ import annotations

import re

__all__ = ["ID_BYTES", "ID_PATTERN", "generate_id", "is_valid_id"]

ID_BYTES = 20
"""Random bytes in a generated id (160 bits of entropy)."""

ID_PATTERN = re.compile(r"[0-9A-Za-z_-]{16,128}")
"""What an acceptable id looks like (matched against the whole id)."""


def generate_id() -> str:
    """A new random session id: ``ID_BYTES`` bytes from :mod:`secrets`, as hex digits."""
    from secrets import token_hex  # here, not at start-up: secrets loads OpenSSL

    return token_hex(ID_BYTES)


def is_valid_id(value: object, pattern: re.Pattern[str] = ID_PATTERN) -> bool:
    """True if ``value`` is a string that matches ``pattern`` in full."""
    if type(value) is not str:
        return False
    if pattern is ID_PATTERN and 16 <= len(value) <= 128 and value.isascii() and value.isalnum():
        return True  # the common case (hex ids), without running the regex
    return pattern.fullmatch(value) is not None
