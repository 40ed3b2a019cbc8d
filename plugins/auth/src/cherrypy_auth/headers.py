"""Pieces shared by both schemes: the Authorization header, auth-params, challenges and the
credential callables users configure.

Everything here raises :class:`ValueError` on malformed input; the tools turn that into
``400 Bad Request``.
"""

from __future__ import annotations

import codecs
import functools
import inspect
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

__all__ = [
    "FALLBACK_CHARSET",
    "accepts_algorithm",
    "charset_param",
    "decode_ext_value",
    "decode_header",
    "parse_auth_params",
    "positional_arity",
    "quote",
    "split_credentials",
]

FALLBACK_CHARSET = "ISO-8859-1"
"""The charset tried when a header does not decode with the configured ``accept_charset``."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNQUOTED_VALUE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z/=]+")  # token or token68
_OWS = re.compile(r"[ \t]*")


def split_credentials(header: str) -> tuple[str, str]:
    """Split an Authorization value into ``(scheme in lower case, the rest stripped)``."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), rest.strip()


def decode_header(value: str, charset: str) -> str:
    """Re-decode a header that arrived as ISO-8859-1 text with ``charset`` (else Latin-1).

    Raises :class:`ValueError` (including :class:`LookupError` for an unknown charset) when
    neither works.
    """
    try:
        raw = value.encode(FALLBACK_CHARSET)
    except UnicodeEncodeError:
        return value  # already decoded (RFC 2047 words): nothing to redo
    for candidate in (charset, FALLBACK_CHARSET):
        try:
            return raw.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ValueError("the header could not be decoded")


def parse_auth_params(text: str) -> dict[str, str]:
    """Parse a comma-separated ``name=value`` list (RFC 9110 auth-params) into a dict.

    Names are lower-cased; values may be tokens or quoted strings (with ``\\`` escapes).
    Empty list elements are skipped.  A missing ``=``, an unterminated quoted string,
    garbage between elements or a repeated name raises :class:`ValueError`.
    """
    params: dict[str, str] = {}
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t,":
            pos += 1
        if pos >= end:
            return params
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"expected a parameter name at {text[pos : pos + 20]!r}")
        name = match.group().lower()
        pos = _OWS.match(text, match.end()).end()  # type: ignore[union-attr]
        if pos >= end or text[pos] != "=":
            raise ValueError(f"parameter {name!r} has no value")
        pos = _OWS.match(text, pos + 1).end()  # type: ignore[union-attr]
        if pos < end and text[pos] == '"':
            value, pos = _quoted_string(text, pos)
        else:
            match = _UNQUOTED_VALUE.match(text, pos)
            if match is None:
                raise ValueError(f"parameter {name!r} has no value")
            value, pos = match.group(), match.end()
        if name in params:
            raise ValueError(f"parameter {name!r} is repeated")
        params[name] = value
        pos = _OWS.match(text, pos).end()  # type: ignore[union-attr]
        if pos < end and text[pos] != ",":
            raise ValueError(f"unexpected text after parameter {name!r}")


def _quoted_string(text: str, pos: int) -> tuple[str, int]:
    """Read the quoted string starting at ``text[pos] == '"'``; return (value, next index)."""
    out = []
    pos += 1
    end = len(text)
    while pos < end:
        char = text[pos]
        if char == "\\":
            if pos + 1 >= end:
                break
            out.append(text[pos + 1])
            pos += 2
        elif char == '"':
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise ValueError("unterminated quoted string")


def quote(value: str) -> str:
    """``value`` as an HTTP quoted-string (``"`` and ``\\`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def charset_param(accept_charset: str) -> str:
    """The ``, charset="..."`` challenge parameter, empty for ISO-8859-1 (as CherryPy)."""
    charset = accept_charset.upper()
    if charset == FALLBACK_CHARSET:
        return ""
    return f', charset="{charset}"'


def decode_ext_value(value: str) -> str:
    """Decode an RFC 8187 ext-value (``UTF-8''J%C3%BCrgen``); ValueError when malformed."""
    charset, sep, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    if not sep or not sep2 or not charset:
        raise ValueError("malformed extended parameter value")
    try:
        codecs.lookup(charset)
        return unquote(encoded, encoding=charset, errors="strict")
    except (UnicodeDecodeError, LookupError) as exc:
        raise ValueError(f"undecodable extended parameter value: {exc}") from None


def _signature(func: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def _cached(func: Callable[[Callable[..., Any]], Any]) -> Callable[[Callable[..., Any]], Any]:
    """Cache a per-callable answer; unhashable callables are simply not cached."""
    cached = functools.lru_cache(maxsize=512)(func)

    @functools.wraps(func)
    def wrapper(target: Callable[..., Any]) -> Any:
        try:
            return cached(target)
        except TypeError:
            return func(target)

    return wrapper


@_cached
def positional_arity(func: Callable[..., Any]) -> int:
    """3 if ``func`` takes ``(realm, username, password)``, 2 if only two positionals.

    CherryPy documents ``checkpassword(realm, username, password)``; the seed's example
    passes ``validate_password(username, password)``.  Both are supported.
    """
    sig = _signature(func)
    if sig is None:
        return 3
    for count in (3, 2):
        try:
            sig.bind(*(["x"] * count))
        except TypeError:
            continue
        return count
    return 3


@_cached
def accepts_algorithm(func: Callable[..., Any]) -> bool:
    """True if ``func`` accepts an ``algorithm`` keyword argument (or ``**kwargs``)."""
    sig = _signature(func)
    if sig is None:
        return False
    for param in sig.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            return True
        if param.name == "algorithm" and param.kind in (
            param.POSITIONAL_OR_KEYWORD,
            param.KEYWORD_ONLY,
        ):
            return True
    return False
