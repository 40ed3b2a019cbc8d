"""HTTP Basic authentication (RFC 7617): ``tools.auth_basic`` and ``cherrypy.lib.auth_basic``.

:func:`basic_auth` runs at ``before_handler`` with priority 1, before any other tool there,
and either sets ``request.login`` or stops the request: ``401`` with a ``WWW-Authenticate``
challenge when credentials are missing, of another scheme or wrong, ``400`` when the Basic
credentials are malformed (not base64, no colon, undecodable).  The page handler is never
called in those cases.

``checkpassword`` may be ``checkpassword(realm, username, password)`` (CherryPy's form) or
``checkpassword(username, password)`` (the form the seed document's example uses).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from cherrypy.plugin import HTTPError, serving

from .headers import FALLBACK_CHARSET, charset_param, positional_arity, quote, split_credentials

__all__ = ["basic_auth", "challenge", "checkpassword_dict", "parse_basic_credentials"]

UNAUTHORIZED_MESSAGE = "You are not authorized to access that resource"
"""The message of every 401 answer (CherryPy's wording)."""

# A password that no stored one equals, compared when the user is unknown so that both
# cases take the same time.
_NO_PASSWORD = "\x00" * 32


def _same(given: str, stored: str) -> bool:
    """Constant-time string equality."""
    import hmac  # here, not at start-up: it loads OpenSSL

    return hmac.compare_digest(given.encode("utf-8"), stored.encode("utf-8"))


def checkpassword_dict(user_password_dict: Mapping[str, str]) -> Callable[[str, str, str], bool]:
    """Return a ``checkpassword(realm, username, password)`` over ``{username: password}``.

    Passwords are compared in constant time, and an unknown user costs the same comparison.
    """

    def checkpassword(realm: str, username: str, password: str) -> bool:
        stored = user_password_dict.get(username)
        if not isinstance(stored, str) or not stored:
            _same(password, _NO_PASSWORD)
            return False
        return _same(password, stored)

    return checkpassword


def parse_basic_credentials(token: str, accept_charset: str = "utf-8") -> tuple[str, str]:
    """Decode the base64 ``user:password`` token of a Basic Authorization header.

    Text is decoded with ``accept_charset`` (else ISO-8859-1) and NFC-normalised.  Raises
    :class:`ValueError` when the token is not strict base64 or has no colon.
    """
    try:
        raw = base64.b64decode(token.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError(f"invalid base64: {exc}") from None
    text = _try_decode(raw, (accept_charset, FALLBACK_CHARSET))
    import unicodedata  # here, not when the plugin loads at start-up

    text = unicodedata.normalize("NFC", text)
    username, colon, password = text.partition(":")
    if not colon:
        raise ValueError("the credentials have no colon")
    return username, password


def _try_decode(subject: bytes, charsets: tuple[str, ...]) -> str:
    """Decode ``subject`` with the first charset that works (the last one must work)."""
    for charset in charsets[:-1]:
        try:
            return subject.decode(charset)
        except (UnicodeDecodeError, LookupError):
            pass
    return subject.decode(charsets[-1])


def challenge(realm: str, accept_charset: str = "utf-8") -> str:
    """The ``WWW-Authenticate`` value asking for Basic credentials in ``realm``."""
    return f"Basic realm={quote(realm)}{charset_param(accept_charset)}"


def _check(checkpassword: Callable[..., Any], realm: str, username: str, password: str) -> bool:
    if positional_arity(checkpassword) == 2:
        return bool(checkpassword(username, password))
    return bool(checkpassword(realm, username, password))


def basic_auth(
    realm: str,
    checkpassword: Callable[..., Any],
    debug: bool = False,
    accept_charset: str = "utf-8",
) -> None:
    """Require HTTP Basic credentials that ``checkpassword`` accepts (``tools.auth_basic``).

    On success ``request.login`` is the user name.  Otherwise the request ends with 401
    (and a challenge for ``realm``) or, for malformed credentials, 400.
    """
    request = serving.request
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, token = split_credentials(header)
        if scheme == "basic":
            try:
                username, password = parse_basic_credentials(token, accept_charset)
            except ValueError as exc:
                _log(debug, f"Malformed Basic credentials: {exc}")
                raise HTTPError(400, "Bad Request") from None
            if _check(checkpassword, realm, username, password):
                _log(debug, "Auth succeeded")
                request.login = username
                return
            _log(debug, f"Auth failed for {username!r}")
    serving.response.headers["WWW-Authenticate"] = challenge(realm, accept_charset)
    raise HTTPError(401, UNAUTHORIZED_MESSAGE)


def _log(debug: bool, message: str) -> None:
    if debug:
        import cherrypy

        cherrypy.log(message, "TOOLS.AUTH_BASIC")
