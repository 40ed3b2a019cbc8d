"""Cookies of the request and the response, made only when someone looks at them.

``cherrypy.request.cookie`` and ``cherrypy.response.cookie`` are
:class:`http.cookies.SimpleCookie` objects, as in CherryPy.  Building them costs several
microseconds, so the kernel defers it:

* **Request**: :func:`load_request_cookie` checks a ``Cookie`` header as the request's headers
  are read.  A header in the common shape (``name=value`` pairs separated by ``;``, RFC 6265
  token names, plain or double-quoted RFC 6265 values, ASCII only) cannot make
  :meth:`SimpleCookie.load <http.cookies.BaseCookie.load>` fail, so it is only remembered,
  and parsed by :func:`parse_into` on first access to ``request.cookie``, with the same result
  as ``SimpleCookie.load``.  Any other header goes to ``SimpleCookie.load`` at once, so a
  malformed one is refused with a 400 exactly as before.
* **Response**: :func:`defer_response_cookie` adds a cookie whose ``Set-Cookie`` line is
  already rendered.  It becomes a :class:`~http.cookies.Morsel` in ``response.cookie`` only if
  that is accessed (and is then rendered from the morsel, edits included); otherwise
  :func:`set_cookie_headers` sends the prepared line.

:class:`LazyCookie` is the descriptor behind both ``cookie`` attributes.
"""

from __future__ import annotations

import re
from http.cookies import Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cherrypy.kernel.request import Request
    from cherrypy.kernel.response import Response

__all__ = [
    "COOKIE_STATE",
    "LazyCookie",
    "PendingCookie",
    "defer_response_cookie",
    "load_request_cookie",
    "parse_into",
    "request_cookie_value",
    "set_cookie_headers",
]

# RFC 6265 ``token`` (without ``$``, which SimpleCookie treats specially) and ``cookie-octet``.
# Both sets lie inside what SimpleCookie accepts for names and values, so a header matching
# _COMMON_HEADER is split by SimpleCookie at exactly the places where ``str.split`` splits it.
_NAME = r"[A-Za-z0-9!#%&'*+\-.^_`|~]+"
_OCTET = r"!#$%&'()*+\-./0-9:<=>?@A-Z\[\]^_`a-z{|}~"
_VALUE = rf'(?:[{_OCTET}]*|"[ ,{_OCTET}]*")'
_COMMON_HEADER = re.compile(rf"{_NAME}={_VALUE}(?:;[ \t]*{_NAME}={_VALUE})*;?")
"""A Cookie header SimpleCookie parses without error and :func:`parse_into` parses alike."""

_RESERVED = frozenset(Morsel._reserved)  # type: ignore[attr-defined]
_EMPTY_ATTRIBUTES = dict.fromkeys(Morsel._reserved, "")  # type: ignore[attr-defined]
_new_morsel = Morsel.__new__
_set_item = dict.__setitem__
_HEADERS = "_cookie_headers"  # request: Cookie headers not parsed yet
_PENDING = "_cookie_pending"  # response: name -> PendingCookie
COOKIE_STATE = "_has_cookie_state"
"""The attribute (class default False) that turns True once an object has cookie state."""
_UNSAFE = ("\r", "\n", "\0")


def _morsel(name: str, value: str, coded_value: str) -> Morsel[str]:
    """A Morsel equal in every respect to ``Morsel()`` after ``.set(name, value, coded)``."""
    morsel: Morsel[str] = _new_morsel(Morsel)
    dict.update(morsel, _EMPTY_ATTRIBUTES)
    morsel._key = name  # type: ignore[attr-defined]
    morsel._value = value  # type: ignore[attr-defined]
    morsel._coded_value = coded_value  # type: ignore[attr-defined]
    return morsel


def parse_into(cookie: SimpleCookie, header: str) -> None:
    """Load ``header`` into ``cookie`` as ``cookie.load(header)`` would.

    ``header`` must match the common shape (see :func:`load_request_cookie`); anything the
    fast path does not cover (reserved attribute names such as ``Path``) is handed to
    ``SimpleCookie.load``.
    """
    pairs = []
    for part in header.split(";"):
        part = part.lstrip(" \t")
        if part:
            name, _, coded = part.partition("=")
            if name.lower() in _RESERVED:
                cookie.load(header)  # attributes, or an invalid string SimpleCookie ignores
                return
            pairs.append((name, coded))
    for name, coded in pairs:
        value = coded[1:-1] if coded[:1] == '"' else coded
        morsel = cookie.get(name)
        if morsel is None:
            _set_item(cookie, name, _morsel(name, value, coded))
        else:  # a repeated name updates the first morsel, as SimpleCookie does
            morsel.set(name, value, coded)


def load_request_cookie(request: Request, header: str) -> None:
    """Take a ``Cookie`` request header into ``request.cookie`` (parsed on first access).

    Raises :class:`http.cookies.CookieError` for a header ``SimpleCookie`` refuses.
    """
    if _COMMON_HEADER.fullmatch(header) is None:
        request.cookie.load(header)
        return
    state = request.__dict__
    cookie = state.get("cookie")
    if cookie is not None:
        parse_into(cookie, header)
        return
    headers = state.get(_HEADERS)
    if headers is None:
        state[_HEADERS] = [header]
        state[COOKIE_STATE] = True
    else:
        headers.append(header)


class PendingCookie(Protocol):
    """A response cookie whose Morsel is built only if ``response.cookie`` is accessed."""

    def morsel(self) -> Morsel[str]:
        """The cookie as a Morsel (put into ``response.cookie`` when it is first accessed)."""
        ...

    def header(self) -> bytes:
        """The ``Set-Cookie`` value, ready for the wire (no CR, LF or NUL)."""
        ...


def defer_response_cookie(response: Response, name: str, cookie: PendingCookie) -> bool:
    """Set cookie ``name`` on ``response`` without building a Morsel yet.

    Returns False (doing nothing) once ``response.cookie`` exists: the caller then sets a
    Morsel in it as usual.  A later cookie of the same name replaces an earlier one.
    """
    state = response.__dict__
    if "cookie" in state:
        return False
    pending = state.get(_PENDING)
    if pending is None:
        state[_PENDING] = {name: cookie}
        state[COOKIE_STATE] = True
    else:
        pending[name] = cookie
    return True


def set_cookie_headers(
    response: Response, header_list: list[tuple[bytes, bytes]], encode: Any
) -> None:
    """Append the response's ``Set-Cookie`` headers to ``header_list``.

    ``encode`` turns a rendered morsel into bytes.  Cookies still pending (nobody accessed
    ``response.cookie``) are sent as prepared; once ``response.cookie`` exists it alone counts
    (an application that replaced it drops what was set before, as with CherryPy).
    """
    state = response.__dict__
    cookie = state.get("cookie")
    if cookie is not None:
        for morsel in cookie.values():
            line = morsel.OutputString()
            if not line.isprintable() and any(c in line for c in _UNSAFE):
                raise ValueError("cookie value contains a control character")
            header_list.append((b"Set-Cookie", encode(line)))
        return
    pending = state.get(_PENDING)
    if pending:
        for deferred in pending.values():
            header_list.append((b"Set-Cookie", deferred.header()))


class LazyCookie:
    """Descriptor for a per-instance ``cookie``: the SimpleCookie is made on first access
    (most requests and responses never touch theirs), holding what was deferred until then.
    Assignment replaces it as usual.

    Everything that gives an instance cookie state (this descriptor, a deferred cookie, an
    unparsed ``Cookie`` header) also sets its ``COOKIE_STATE`` attribute, so the kernel can
    tell a request or response without cookies from its class default, without reading the
    instance ``__dict__`` (which makes every later attribute access of the object slower).
    """

    def __init__(self) -> None:
        self.shared = SimpleCookie()

    def __get__(self, obj: Any, objclass: Any = None) -> Any:
        if obj is None:
            return self.shared
        state = obj.__dict__
        if "cookie" in state:
            return state["cookie"]
        state[COOKIE_STATE] = True
        cookie = state["cookie"] = SimpleCookie()
        headers = state.pop(_HEADERS, None)
        if headers:
            for header in headers:
                parse_into(cookie, header)
        pending = state.pop(_PENDING, None)
        if pending:
            for name, deferred in pending.items():
                _set_item(cookie, name, deferred.morsel())
        return cookie

    def __set__(self, obj: Any, value: Any) -> None:
        state = obj.__dict__
        state["cookie"] = value
        state[COOKIE_STATE] = True

    def __delete__(self, obj: Any) -> None:
        try:
            del obj.__dict__["cookie"]
        except KeyError:
            raise AttributeError("cookie") from None


def request_cookie_value(request: Request, name: str) -> str | None:
    """``request.cookie[name].value``, or None if there is no such cookie.

    Equivalent to looking in ``request.cookie``, but reads a header that was not parsed yet
    without building the SimpleCookie (a session tool needs one value out of it).
    """
    state = request.__dict__
    headers = state.get(_HEADERS)
    if headers is not None and "cookie" not in state:
        found = None
        for header in headers:
            for part in header.split(";"):
                key, _, coded = part.lstrip(" \t").partition("=")
                if key.lower() in _RESERVED:
                    break  # attributes: let SimpleCookie sort them out
                if key == name:
                    found = coded[1:-1] if coded[:1] == '"' else coded
            else:
                continue
            break
        else:
            return found
    morsel = request.cookie.get(name)
    return None if morsel is None else morsel.value
