"""The opening handshake (RFC 6455 section 4.2, RFC 7692 for permessage-deflate).

:func:`negotiate` checks an upgrade request's method and headers and agrees on a subprotocol
and extensions; it answers the way RFC 6455 asks (``400`` for a malformed request, ``426`` with
``Sec-WebSocket-Version: 13`` for a version this server does not speak, ``403`` for an origin
that is not allowed) by raising :class:`cherrypy.HTTPError`.  It touches no connection: the
tool (:mod:`cherrypy_websocket.tool`) calls it and writes the ``101`` it describes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from wsproto.extensions import Extension, PerMessageDeflate
from wsproto.handshake import server_extensions_handshake
from wsproto.utilities import generate_accept_token

import cherrypy

__all__ = ["WEBSOCKET_VERSION", "Handshake", "HandshakeRefused", "negotiate", "split_tokens"]

WEBSOCKET_VERSION = "13"
"""The only version of the protocol this server speaks (RFC 6455)."""


class HandshakeRefused(cherrypy.HTTPError):
    """An upgrade request this endpoint refuses; its status and headers are the answer."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(status, message)
        self.extra_headers = dict(headers or {})

    def set_response(self) -> None:
        """Write the error response, then the headers RFC 6455 asks for (Upgrade, version)."""
        super().set_response()
        for name, value in self.extra_headers.items():
            cherrypy.serving.response.headers[name] = value


@dataclass
class Handshake:
    """What was agreed: the headers of the ``101`` and the connection's extensions."""

    headers: dict[str, str]
    """``Upgrade``, ``Connection``, ``Sec-WebSocket-Accept`` and the negotiated ones."""

    subprotocol: str | None = None
    """The ``Sec-WebSocket-Protocol`` chosen, or None."""

    extensions: list[Extension] = field(default_factory=list)
    """wsproto extensions accepted (a configured :class:`PerMessageDeflate`)."""

    extension_names: list[str] = field(default_factory=list)
    """Their names, as ws4py handed them to the handler (``["permessage-deflate"]``)."""


def split_tokens(value: str | None) -> list[str]:
    """The comma-separated elements of a header value, stripped, empty ones dropped."""
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _check_key(key: str | None) -> str:
    if not key:
        raise HandshakeRefused(400, "Missing Sec-WebSocket-Key header.")
    try:
        raw = base64.b64decode(key.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raw = b""
    if len(raw) != 16:
        raise HandshakeRefused(400, "Sec-WebSocket-Key must be 16 bytes, base64-encoded.")
    return key.strip()


def _check_origin(origin: str | None, allowed_origins: Iterable[str | None] | None) -> None:
    if allowed_origins is None:
        return
    if isinstance(allowed_origins, str):
        allowed_origins = [allowed_origins]
    allowed = {o.lower().rstrip("/") if isinstance(o, str) else None for o in allowed_origins}
    if "*" in allowed and origin is not None:
        return
    key = origin.lower().rstrip("/") if origin is not None else None
    if key not in allowed:
        raise HandshakeRefused(403, f"Origin {origin!r} is not allowed to open a WebSocket here.")


def _choose_subprotocol(offered: list[str], supported: Iterable[str] | None) -> str | None:
    if not offered or not supported:
        return None
    if isinstance(supported, str):
        supported = [supported]
    for name in supported:  # the server's preference order
        if name in offered:
            return name
    return None


def _negotiate_extensions(offers: list[str], compression: bool) -> tuple[list[Extension], str]:
    if not compression or not offers:
        return [], ""
    deflate = PerMessageDeflate()
    try:
        accepted = server_extensions_handshake(offers, [deflate])
    except ValueError:  # malformed parameters (client_max_window_bits=x): decline
        return [], ""
    if accepted is None or not deflate.enabled():
        return [], ""
    return [deflate], accepted.decode("ascii")


def negotiate(
    method: str,
    protocol: tuple[int, int],
    headers: Mapping[str, str],
    *,
    protocols: Iterable[str] | None = None,
    allowed_origins: Iterable[str | None] | None = None,
    compression: bool = True,
) -> Handshake:
    """Check the upgrade request and agree on what the ``101`` says.

    ``headers`` is case-insensitive (``cherrypy.request.headers``); ``protocol`` the HTTP
    version as ``(major, minor)``.  Raises :class:`HandshakeRefused` (an ``HTTPError``).
    """
    upgrade = {token.lower() for token in split_tokens(headers.get("Upgrade"))}
    if method != "GET":
        raise HandshakeRefused(
            405, "A WebSocket handshake must be a GET request.", {"Allow": "GET"}
        )
    if "websocket" not in upgrade:
        raise HandshakeRefused(
            426,
            "This resource is a WebSocket endpoint: send Upgrade: websocket.",
            {"Upgrade": "websocket", "Connection": "Upgrade"},
        )
    if protocol < (1, 1):
        raise HandshakeRefused(400, "A WebSocket handshake needs HTTP/1.1 or later.")
    connection = {token.lower() for token in split_tokens(headers.get("Connection"))}
    if "upgrade" not in connection:
        raise HandshakeRefused(400, "The Connection header must contain 'upgrade'.")
    key = _check_key(headers.get("Sec-WebSocket-Key"))
    version = headers.get("Sec-WebSocket-Version")
    if version is None or not version.strip():
        raise HandshakeRefused(
            400,
            "Missing Sec-WebSocket-Version header.",
            {"Sec-WebSocket-Version": WEBSOCKET_VERSION},
        )
    if version.strip() != WEBSOCKET_VERSION:
        raise HandshakeRefused(
            426,
            f"Unsupported WebSocket version {version.strip()!r}; this server speaks 13.",
            {"Sec-WebSocket-Version": WEBSOCKET_VERSION},
        )
    _check_origin(headers.get("Origin"), allowed_origins)

    response = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Accept": generate_accept_token(key.encode("ascii")).decode("ascii"),
    }
    subprotocol = _choose_subprotocol(
        split_tokens(headers.get("Sec-WebSocket-Protocol")), protocols
    )
    if subprotocol is not None:
        response["Sec-WebSocket-Protocol"] = subprotocol
    extensions, accepted = _negotiate_extensions(
        split_tokens(headers.get("Sec-WebSocket-Extensions")), compression
    )
    if accepted:
        response["Sec-WebSocket-Extensions"] = accepted
    return Handshake(response, subprotocol, extensions, [ext.name for ext in extensions])
