"""Digest credential stores: the ``get_ha1`` callables ``tools.auth_digest`` takes, and the
hash functions of RFC 7616.

``get_ha1(realm, username)`` returns ``H(username:realm:password)`` as hex digits, or None
for an unknown user.  The helpers here also accept an ``algorithm`` keyword (``"MD5"`` by
default, or ``"SHA-256"``), so one plain-text store serves both algorithms; stores of
precomputed hashes (:func:`get_ha1_dict`, :func:`get_ha1_file_htdigest`) hold one algorithm's
hashes, told apart by their length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "ALGORITHMS",
    "H",
    "get_ha1_dict",
    "get_ha1_dict_plain",
    "get_ha1_file_htdigest",
    "hash_hex",
    "md5_hex",
]


def _hash_function(name: str) -> Callable[..., Any]:
    """``hashlib.<name>``, imported on first use (hashlib loads OpenSSL: slow at start-up)."""

    def new(data: bytes = b"") -> Any:
        import hashlib

        return getattr(hashlib, name)(data)

    new.__name__ = new.__qualname__ = name
    return new


ALGORITHMS: dict[str, Callable[..., Any]] = {
    "MD5": _hash_function("md5"),
    "MD5-sess": _hash_function("md5"),
    "SHA-256": _hash_function("sha256"),
    "SHA-256-sess": _hash_function("sha256"),
}
"""Digest algorithms supported (RFC 7616, section 3.2), by their canonical names."""


def hash_hex(text: str, algorithm: str = "MD5") -> str:
    """The hex digest of ``text`` (UTF-8) with ``algorithm``'s hash function."""
    return ALGORITHMS[algorithm](text.encode("utf-8")).hexdigest()  # type: ignore[no-any-return]


def md5_hex(s: str) -> str:
    """The MD5 hex digest of ``s`` encoded as UTF-8."""
    return hash_hex(s, "MD5")


def H(s: str) -> str:
    """The hash function H of RFC 2617 (MD5)."""
    return md5_hex(s)


def get_ha1_dict_plain(user_password_dict: Mapping[str, str]) -> Callable[..., str | None]:
    """Return a ``get_ha1`` over ``{username: plain-text password}``.

    It answers ``get_ha1(realm, username, algorithm="MD5")`` for every algorithm.
    """

    def get_ha1(realm: str, username: str, algorithm: str = "MD5") -> str | None:
        password = user_password_dict.get(username)
        if password:
            base = algorithm.removesuffix("-sess")
            return hash_hex(f"{username}:{realm}:{password}", base)
        return None

    return get_ha1


def get_ha1_dict(user_ha1_dict: Mapping[str, str]) -> Callable[[str, str], str | None]:
    """Return a ``get_ha1`` over ``{username: HA1}`` (hashes computed beforehand)."""

    def get_ha1(realm: str, username: str) -> str | None:
        return user_ha1_dict.get(username)

    return get_ha1


def get_ha1_file_htdigest(filename: str) -> Callable[[str, str], str | None]:
    """Return a ``get_ha1`` reading an Apache ``htdigest`` file (``user:realm:HA1`` lines).

    The file is read on each call, so edits apply at once; lines that do not have three
    fields are skipped.
    """

    def get_ha1(realm: str, username: str) -> str | None:
        with open(filename, encoding="utf-8") as lines:
            for line in lines:
                fields = line.rstrip("\r\n").split(":")
                if len(fields) != 3:
                    continue
                user, user_realm, ha1 = fields
                if user == username and user_realm == realm:
                    return ha1
        return None

    return get_ha1
