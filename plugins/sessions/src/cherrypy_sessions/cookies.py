"""The session cookie: its attributes, a fast path for writing it, and ``expire()``.

Defaults are safer than CherryPy's: ``HttpOnly`` is set and ``SameSite=Lax`` is added unless
configured otherwise.  ``Secure``, ``Domain``, ``Path`` (or the ``path_header`` request header)
and, for persistent cookies, ``Max-Age`` and ``expires`` follow CherryPy's settings.

A :class:`CookieSpec` is built once per configuration.  For each response it installs a
:class:`SessionMorsel` in ``cherrypy.response.cookie`` whose header text is precomputed (and
cached per second for the ``expires`` date); an application that edits the morsel gets the
standard :class:`http.cookies.Morsel` rendering instead.
"""

from __future__ import annotations

import math
import time
from email.utils import formatdate
from http.cookies import Morsel, SimpleCookie
from typing import Any

from cherrypy.plugin import defer_response_cookie, serving
from cherrypy_sessions import ids

__all__ = ["CookieSpec", "SessionMorsel", "expire", "normalize_samesite", "set_response_cookie"]

_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
_BAD_PATH_CHARS = frozenset(';,\r\n\0"\\')
_ONE_YEAR = 60 * 60 * 24 * 365


def normalize_samesite(value: Any) -> str | None:
    """``'Lax'``, ``'Strict'`` or ``'None'`` from any casing; None/''/False omit the attribute."""
    if value is None or value is False or value == "":
        return None
    canonical = _SAMESITE.get(str(value).lower())
    if canonical is None:
        raise ValueError(
            f"tools.sessions.samesite must be 'Lax', 'Strict' or 'None', not {value!r}"
        )
    return canonical


def _coded(value: str) -> str:
    if ids.ID_PATTERN.fullmatch(value):
        return value
    return SimpleCookie().value_encode(value)[1]


def _header_path(value: Any) -> str | None:
    """A cookie path taken from a request header, if it is a plain absolute path."""
    if not value or not isinstance(value, str) or not value.startswith("/"):
        return None
    if any(char in _BAD_PATH_CHARS or not char.isprintable() for char in value):
        return None
    return value


_new_morsel = Morsel.__new__


class SessionMorsel(Morsel[str]):
    """A :class:`~http.cookies.Morsel` that renders from a precomputed suffix while unchanged."""

    def OutputString(self, attrs: Any = None) -> str:
        """The ``Set-Cookie`` value, as :meth:`http.cookies.Morsel.OutputString` renders it."""
        state = self.__dict__
        template = state.get("_template")
        if attrs is None and template is not None and dict.__eq__(self, template):
            return f"{state['_key']}={state['_coded_value']}{state['_suffix']}"
        return super().OutputString(attrs)


def _session_morsel(found: tuple[Any, ...], session_id: str) -> SessionMorsel:
    """The session cookie as a Morsel, from :meth:`CookieSpec._attributes` output."""
    morsel = _new_morsel(SessionMorsel)
    dict.update(morsel, found[2])
    morsel.__dict__.update(found[3])
    morsel._value = session_id  # type: ignore[attr-defined]
    morsel._coded_value = session_id if session_id.isalnum() else _coded(session_id)  # type: ignore[attr-defined]
    return morsel


class _PendingSessionCookie:
    """The session cookie of a response, as its wire bytes until someone wants the Morsel."""

    __slots__ = ("found", "session_id")

    def __init__(self, found: tuple[Any, ...], session_id: str) -> None:
        self.found = found
        self.session_id = session_id  # ASCII letters and digits only

    def morsel(self) -> SessionMorsel:
        return _session_morsel(self.found, self.session_id)

    def header(self) -> bytes:
        prefix, suffix = self.found[4]
        return prefix + self.session_id.encode("ascii") + suffix


class CookieSpec:
    """The session cookie's name and attributes, from the ``tools.sessions.*`` settings."""

    __slots__ = (
        "_cache",
        "_last",
        "domain",
        "httponly",
        "max_age",
        "name",
        "path",
        "path_header",
        "samesite",
        "secure",
    )

    def __init__(
        self,
        name: str = "session_id",
        path: str | None = None,
        path_header: str | None = None,
        timeout: float | None = 60,
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: Any = "Lax",
    ) -> None:
        self.name = name
        self.path = path
        self.path_header = path_header
        self.max_age = math.ceil(timeout * 60) if timeout else None
        self.domain = domain
        self.secure = bool(secure)
        self.httponly = bool(httponly)
        self.samesite = normalize_samesite(samesite)
        self._cache: dict[tuple[str, int], tuple[Any, ...]] = {}
        self._last: tuple[Any, ...] = (None, None, None, None, None)
        Morsel[str]().set(name, "", "")  # raises CookieError for an illegal cookie name
        if self.samesite == "None" and not self.secure:
            import cherrypy

            cherrypy.log(
                "tools.sessions.samesite = 'None' without tools.sessions.secure: browsers "
                "reject such cookies",
                "TOOLS.SESSIONS",
                severity=30,
            )

    def _attributes(self, path: str, second: int) -> tuple[Any, ...]:
        """``(path, second, reserved attributes, morsel state, wire)`` for a cookie sent now;
        ``wire`` is the header's bytes before and after the id, or None if not plain ASCII."""
        key = (path, second)
        found = self._cache.get(key)
        if found is None:
            morsel: Morsel[str] = Morsel()
            morsel.set(self.name, "", "")
            morsel["path"] = path
            if self.max_age is not None:
                morsel["max-age"] = self.max_age
                morsel["expires"] = formatdate(second + self.max_age, usegmt=True)
            if self.domain is not None:
                morsel["domain"] = self.domain
            if self.secure:
                morsel["secure"] = True
            if self.httponly:
                morsel["httponly"] = True
            if self.samesite is not None:
                morsel["samesite"] = self.samesite
            template = dict(morsel)
            suffix = morsel.OutputString()[len(self.name) + 1 :]
            state = {"_key": self.name, "_template": template, "_suffix": suffix}
            wire = None
            if suffix.isascii() and suffix.isprintable():  # no CR, LF, NUL; one encoding
                wire = ((self.name + "=").encode("ascii"), suffix.encode("ascii"))
            found = (path, second, template, state, wire)
            if len(self._cache) >= 16:
                self._cache.clear()
            self._cache[key] = found
        self._last = found
        return found

    def apply(self, session_id: str) -> None:
        """Put the session cookie for ``session_id`` into the current response."""
        path = self.path
        if not path:
            header = self.path_header
            path = (header and _header_path(serving.request.headers.get(header))) or "/"
        second = 0 if self.max_age is None else int(time.time())
        found = self._last
        if found[1] != second or found[0] != path:
            found = self._attributes(path, second)
        response = serving.response
        if (
            found[4] is not None
            and session_id.isascii()
            and session_id.isalnum()
            and defer_response_cookie(response, self.name, _PendingSessionCookie(found, session_id))
        ):
            return  # a Morsel is made only if someone looks at response.cookie
        dict.__setitem__(response.cookie, self.name, _session_morsel(found, session_id))

    def __call__(self, session_id: str) -> None:
        """An id observer: re-issue the cookie when the session id changes."""
        self.apply(session_id)


_specs: dict[Any, CookieSpec] = {}


def set_response_cookie(
    path: str | None = None,
    path_header: str | None = None,
    name: str = "session_id",
    timeout: float | None = 60,
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = True,
    samesite: Any = "Lax",
) -> None:
    """Set the session cookie for ``cherrypy.session.id`` on the current response.

    ``timeout`` (minutes) sets ``Max-Age`` and ``expires``; a false value makes a browser
    session cookie.  ``path`` defaults to the ``path_header`` request header, then ``/``.
    """
    key = (path, path_header, name, timeout, domain, bool(secure), bool(httponly), samesite)
    spec = _specs.get(key)
    if spec is None:
        spec = CookieSpec(name, path, path_header, timeout, domain, secure, httponly, samesite)
        if len(_specs) < 256:
            _specs[key] = spec
    spec.apply(serving.session.id)


def expire() -> None:
    """End the current session: expire its cookie and delete its stored data.

    The cookie gets an ``expires`` date a year ago and ``Max-Age=0``.  Unlike CherryPy, which
    only expired the cookie, the stored data is deleted too (a copied cookie cannot bring the
    session back) and the session is not saved again by this request.
    """
    request = serving.request
    config = request.config or {}
    name = config.get("tools.sessions.name", "session_id")
    cookie = serving.response.cookie
    morsel = cookie.get(name)
    session = serving.session
    if morsel is None:
        cookie[name] = session.id if session is not None and session.id else ""
        morsel = cookie[name]
        morsel["path"] = config.get("tools.sessions.path") or "/"
    morsel["expires"] = formatdate(time.time() - _ONE_YEAR, usegmt=True)
    morsel["max-age"] = 0
    if session is not None:
        session.delete()
        session._data = {}
        session.loaded = True
