"""The four tools CherryPy switches on by default: encode, trailing_slash, log_tracebacks and
log_headers.  They register through the same hook as any plugin's tools."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from cherrypy.kernel.compiled import DEFAULT_TOOLS
from cherrypy.kernel.context import serving
from cherrypy.kernel.errors import HTTPError, HTTPRedirect
from cherrypy.kernel.hookspecs import hookimpl
from cherrypy.kernel.httputil import (
    _content_type_is_text,
    _plain_type,
    _plain_types,
    _with_charset,
)
from cherrypy.kernel.response import prepare_iter
from cherrypy.kernel.runtime import site
from cherrypy.kernel.tools import Tool
from cherrypy.kernel.urls import url

__all__ = ["ResponseEncoder", "log_request_headers", "log_traceback", "trailing_slash"]


class ResponseEncoder:
    """Encode a handler's str output with a charset the client accepts (``tools.encode``).

    Created at ``before_handler``; it replaces ``request.handler`` with itself and encodes
    what the original handler returns.  Text media types get ``;charset=`` added.
    """

    default_encoding = "utf-8"
    failmsg = "Response body could not be encoded with %r."
    encoding: str | None = None
    errors = "strict"
    text_only = True
    add_charset = True
    debug = False

    body: Any = None
    """The encoded body (set when the handler ran)."""

    def __init__(self, **kwargs: Any) -> None:
        if kwargs:
            for key, value in kwargs.items():
                setattr(self, key, value)
        self.attempted_charsets: set[str] = set()
        request = serving.request
        if request.handler is not None:
            self.oldhandler = request.handler
            request.handler = self

    def encode_stream(self, encoding: str) -> bool:
        """Wrap a streaming body so str chunks are encoded as they go out."""
        if encoding in self.attempted_charsets:
            return False
        self.attempted_charsets.add(encoding)
        try:
            "".encode(encoding)
        except LookupError:
            return False
        errors = self.errors

        def encoder(body: Iterable[Any]) -> Iterator[bytes]:
            for chunk in body:
                yield chunk.encode(encoding, errors) if isinstance(chunk, str) else chunk

        self.body = encoder(self.body)
        return True

    def encode_string(self, encoding: str) -> bool:
        """Encode a buffered body; False if the charset cannot represent it."""
        if encoding in self.attempted_charsets:
            return False
        self.attempted_charsets.add(encoding)
        encoded = []
        for chunk in self.body:
            if isinstance(chunk, str):
                try:
                    chunk = chunk.encode(encoding, self.errors)
                except (LookupError, UnicodeError):
                    return False
            encoded.append(chunk)
        self.body = encoded
        return True

    def find_acceptable_charset(self) -> str:
        """Pick and apply a charset from Accept-Charset (406 if none works)."""
        request = serving.request
        response = serving.response
        if response.stream:
            encoder = self.encode_stream
        else:
            encoder = self.encode_string
            dict.pop(response.headers, "Content-Length", None)
        if self.encoding is None and not dict.get(request.headers, "Accept-Charset"):
            # The common case: no preference sent, so the default charset it is.
            if encoder(self.default_encoding):
                return self.default_encoding
            raise HTTPError(500, self.failmsg % self.default_encoding)
        accepted = request.headers.elements("Accept-Charset")
        for element in accepted:
            element.qvalue  # noqa: B018 -- a malformed q is a 400, as in CherryPy
        charsets = [element.value.lower() for element in accepted]
        if self.encoding is not None:
            wanted = self.encoding.lower()
            if (not charsets or "*" in charsets or wanted in charsets) and encoder(wanted):
                return wanted
        elif not accepted:
            if encoder(self.default_encoding):
                return self.default_encoding
            raise HTTPError(500, self.failmsg % self.default_encoding)
        else:
            for element in accepted:
                if element.qvalue > 0:
                    candidate = self.default_encoding if element.value == "*" else element.value
                    if encoder(candidate):
                        return candidate
            if "*" not in charsets and "iso-8859-1" not in charsets and encoder("iso-8859-1"):
                return "iso-8859-1"
        sent = request.headers.get("Accept-Charset")
        if sent is None:
            msg = "Your client did not send an Accept-Charset header."
        else:
            msg = f"Your client sent this Accept-Charset header: {sent}."
        msg += f" We tried these charsets: {', '.join(sorted(self.attempted_charsets))}."
        raise HTTPError(406, msg)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the wrapped handler and encode its output."""
        return self._encode_result(self.oldhandler(*args, **kwargs))

    def _encode_result(self, result: Any) -> Any:
        """Encode what the wrapped handler returned (what :meth:`__call__` returns)."""
        if result.__class__ is str and result and self.encoding is None and self.add_charset:
            encoded = self._encode_plain_html(result)
            if encoded is not None:
                return encoded
        response = serving.response
        self.body = prepare_iter(result)
        if not self.add_charset:
            return self.body
        headers = response.headers
        content_type = dict.get(headers, "Content-Type")
        if content_type.__class__ is str:
            if not content_type:
                return self.body
            is_text = _content_type_is_text(content_type)
            if not self.text_only or is_text:
                charset = self.find_acceptable_charset()
                dict.__setitem__(headers, "Content-Type", _with_charset(content_type, charset))
            return self.body
        content_types = headers.elements("Content-Type")
        if content_types:
            ct = content_types[0]
            if not self.text_only or ct.value.lower().startswith("text/"):
                ct.params["charset"] = self.find_acceptable_charset()
                headers["Content-Type"] = str(ct)
        return self.body

    def _encode_plain_html(self, text: str) -> list[bytes] | None:
        """The common case in one step: one str for a buffered response whose Content-Type
        (``text/html`` by default) gets a charset, and no Accept-Charset.  None when anything
        differs (the general path then decides, including the errors)."""
        if type(self) is not ResponseEncoder:
            return None  # a subclass may override the charset negotiation
        response = serving.response
        headers = response.headers
        content_type = dict.get(headers, "Content-Type")
        if response.stream or content_type.__class__ is not str or not content_type:
            return None
        charset = self.default_encoding
        known = _plain_types.get((content_type, charset))
        if known is None:
            known = _plain_type(content_type, charset)
        is_text, with_charset = known
        if self.text_only and not is_text:
            return None
        # The client's Accept-Charset: from the environ while the headers are not built.
        request = serving.request
        source = request._header_source
        if (
            source.get("HTTP_ACCEPT_CHARSET")
            if source is not None
            else dict.get(request.headers, "Accept-Charset")
        ):
            return None
        if with_charset is None:  # not a text/* type, with text_only off
            with_charset = _with_charset(content_type, charset)
        try:
            body = [text.encode(charset, self.errors)]
        except (LookupError, UnicodeError):
            return None
        self.attempted_charsets.add(charset)
        dict.pop(headers, "Content-Length", None)
        dict.__setitem__(headers, "Content-Type", with_charset)
        self.body = body
        return body


def trailing_slash(
    missing: bool = True, extra: bool = False, status: int | None = None, debug: bool = False
) -> None:
    """Redirect so index URLs end with '/' (``missing``) and others don't (``extra``)."""
    request = serving.request
    pi = request.path_info
    if request.is_index is True:
        if missing and not pi.endswith("/"):
            raise HTTPRedirect(url(pi + "/", request.query_string), status=status or 301)
    elif request.is_index is False and extra and pi.endswith("/") and pi != "/":
        raise HTTPRedirect(url(pi[:-1], request.query_string), status=status or 301)


def log_traceback(severity: int = logging.ERROR, debug: bool = False) -> None:
    """Write the current exception's traceback to the error log."""
    site.log("", "HTTP", severity=severity, traceback=True)


def log_request_headers(debug: bool = False) -> None:
    """Write the request headers to the error log (on errors, by default)."""
    lines = [f"  {name}: {value}" for name, value in serving.request.header_list]
    site.log("\nRequest Headers:\n" + "\n".join(lines), "HTTP")


DEFAULT_TOOLS.update(trailing_slash=trailing_slash, encode=ResponseEncoder)


@hookimpl
def cherrypy_register_tools(toolbox: Any) -> None:
    """Register the kernel's default tools."""
    toolbox.encode = Tool("before_handler", ResponseEncoder, priority=70)
    toolbox.trailing_slash = Tool("before_handler", trailing_slash, priority=60)
    toolbox.log_tracebacks = Tool("before_error_response", log_traceback)
    toolbox.log_headers = Tool("before_error_response", log_request_headers)


_ENCODE_DOCS = {
    "encoding": "Always use this charset (406 if the client refuses it).",
    "default_encoding": "The charset used when the client states no preference.",
    "errors": "The str.encode error handler.",
    "text_only": "Only encode text/* responses.",
    "add_charset": "Add ;charset= to the Content-Type (False: leave the body alone).",
    "failmsg": "The 500 message when the body cannot be encoded (%r: the charset).",
    "debug": "Log what the tool does to the error log.",
}


@hookimpl
def cherrypy_config_keys(checker: Any) -> None:
    """Declare the kernel's namespaces (request, response, log, ...) and its default tools."""
    from cherrypy.kernel.corekeys import declare_kernel_keys

    declare_kernel_keys(checker)
    encode_keys = {
        name: ("str | None" if name == "encoding" else None, getattr(ResponseEncoder, name), doc)
        for name, doc in _ENCODE_DOCS.items()
    }
    checker.declare_tool(
        "encode",
        ResponseEncoder,
        {},
        extra=encode_keys,
        open=False,
        priority=70,
        doc="Encode str responses in a charset the client accepts.",
    )
    checker.declare_tool(
        "trailing_slash",
        trailing_slash,
        {
            "missing": "Redirect index URLs that lack the trailing slash.",
            "extra": "Redirect non-index URLs that end with a slash.",
            "status": "The redirect status (default 301).",
        },
        priority=60,
    )
    checker.declare_tool(
        "log_tracebacks",
        log_traceback,
        {"severity": "The logging level of the traceback record."},
    )
    checker.declare_tool("log_headers", log_request_headers, {})
