"""``tools.proxy``: take the public base URL and client address from a reverse proxy.

Behind Apache, nginx or a load balancer the request reaches CherryPy from the proxy, so
``request.base`` and ``request.remote.ip`` describe the proxy, not the client.  This tool
rewrites them from the ``X-Forwarded-*`` headers the proxy adds.  Those headers are plain
request headers that any client can send, so they are read only while the tool is switched
on for a path, only the header names configured (``local``, ``remote``, ``scheme``), and, when
``trusted`` is given, only on requests that come from one of those proxy addresses.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Iterable
from functools import lru_cache

import cherrypy
from cherrypy.plugin import serving

__all__ = ["proxy"]

# host, IPv4 or [IPv6], with an optional port; anything else in a forwarded host is ignored.
_HOST = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+;=%-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
# a base given in config or by a proxy: scheme://host[:port][/path]
_BASE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+(?:/[^\s?#]*)?")
_SCHEMES = frozenset({"http", "https"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=64)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _is_trusted(ip: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(ip.strip().strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in networks)


def _as_tuple(trusted: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(trusted, str):
        return tuple(item.strip() for item in trusted.split(",") if item.strip())
    return tuple(trusted)


def proxy(
    base: str | None = None,
    local: str | None = "X-Forwarded-Host",
    remote: str | None = "X-Forwarded-For",
    scheme: str | None = "X-Forwarded-Proto",
    debug: bool = False,
    trusted: str | Iterable[str] | None = None,
) -> None:
    """Rewrite ``request.base`` (and ``request.remote.ip``) for a reverse-proxied request.

    ``base``: the public base URL (``https://example.com`` or ``https://example.com/app``,
    no trailing slash); when it carries a path, set ``local`` to '' so the forwarded host
    cannot replace it.  ``local``: the header holding the public host (Squid users set it to
    ``Origin``), '' to ignore.  ``remote``: the header holding the client address, '' to leave
    ``remote.ip`` alone.  ``scheme``: the header holding the public scheme (``https``;
    ``X-Forwarded-Ssl: on`` style headers work too), '' to keep the request's.

    ``trusted`` (not in CherryPy): proxy addresses or networks (``"10.0.0.0/8, ::1"``) whose
    forwarded headers are believed.  When given, a request from any other peer keeps its
    base and address (``base`` from config still applies), and ``X-Forwarded-For`` is read
    from the right, skipping trusted hops, so a client cannot forge its address by prepending
    one.  Without it, every peer is believed, as in CherryPy: only switch the tool on where
    every request really comes through the proxy.
    """
    request = serving.request
    headers = request.headers
    believe = True
    networks: tuple[Network, ...] = ()
    if trusted:
        networks = _networks(_as_tuple(trusted))
        believe = _is_trusted(request.remote.ip, networks)
    if debug:
        cherrypy.log(f"Peer {request.remote.ip!r} trusted: {believe}", "TOOLS.PROXY")

    new_scheme = ""
    if scheme and believe:
        value = (headers.get(scheme) or "").strip().lower()
        if value == "on" and "ssl" in scheme.lower():
            new_scheme = "https"
        elif value in _SCHEMES:
            new_scheme = value
    if not new_scheme:
        new_scheme = request.base[: request.base.find("://")] or request.scheme

    new_base = base or ""
    if local and believe:
        forwarded = headers.get(local)
        if forwarded is not None:
            first = forwarded.split(",")[0].strip()
            if ("://" in first and _BASE.fullmatch(first)) or _HOST.fullmatch(first):
                new_base = first
            elif debug:
                cherrypy.log(f"Ignoring malformed {local}: {forwarded!r}", "TOOLS.PROXY")
    if not new_base:
        default = urllib.parse.urlparse(request.base).netloc
        new_base = headers.get("Host", default)
    if "://" not in new_base:
        new_base = f"{new_scheme}://{new_base}"
    request.base = new_base

    if remote and believe:
        forwarded_for = headers.get(remote)
        if forwarded_for:
            client = _client_address(forwarded_for, remote, networks)
            if client:
                request.remote.ip = client


def _client_address(value: str, header: str, networks: tuple[Network, ...]) -> str | None:
    """The client address from a forwarding header's value."""
    if header.lower() != "x-forwarded-for":
        return value.strip() or None
    hops = [hop.strip() for hop in value.split(",") if hop.strip()]
    if not hops:
        return None
    if not networks:
        return hops[0]
    # The rightmost address not belonging to a trusted proxy is the real client.
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0]
