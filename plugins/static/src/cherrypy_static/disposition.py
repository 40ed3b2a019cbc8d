"""``Content-Disposition`` values with RFC 6266 file names.

A file name travels twice when it is not plain ASCII: ``filename="..."`` carries an ASCII
approximation for old clients, ``filename*=UTF-8''...`` (RFC 8187 encoding) the exact name,
and clients that understand the second one prefer it.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["ascii_fallback", "content_disposition"]

# RFC 8187 attr-char beyond the letters and digits quote() always keeps.
_ATTR_SAFE = "!#$&+^`|"


def ascii_fallback(name: str) -> str:
    """An ASCII stand-in for ``name``, safe inside a quoted string.

    Compatibility forms are folded (NFKC: ``ﬁ`` -> ``fi``), accents dropped (``ï`` -> ``i``),
    other non-ASCII characters and control characters removed, and ``"`` and ``\\`` escaped.
    """
    import unicodedata  # here, not when the plugin loads at start-up

    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    kept = "".join(ch for ch in folded if " " <= ch <= "~")
    return kept.replace("\\", "\\\\").replace('"', '\\"')


def content_disposition(disposition: str, name: str | None = None) -> str:
    """The header value for ``disposition`` (``attachment``, ``inline``) and file ``name``.

    ``filename*`` is added only when the ASCII fallback is not the name itself, as CherryPy
    does, so plain names give the short ``attachment; filename="report.pdf"``.
    """
    if name is None:
        return disposition
    fallback = ascii_fallback(name)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe=_ATTR_SAFE)
    return value
