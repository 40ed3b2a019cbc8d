"""TLS contexts for the server, built from CherryPy's ``server.ssl_*`` settings.

The ssl module is imported only when TLS is configured: it is slow to import, and a plain
HTTP server never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

__all__ = ["context_from_settings", "make_ssl_context"]


def make_ssl_context(
    certificate: str,
    private_key: str | None = None,
    certificate_chain: str | None = None,
    ciphers: str | None = None,
) -> ssl.SSLContext:
    """A server-side :class:`ssl.SSLContext` with secure defaults.

    ``certificate_chain``, when given, is loaded as the CA file used to verify client
    certificates (as cheroot's builtin adapter does); ``ciphers`` is an OpenSSL cipher list.
    """
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, private_key)
    if certificate_chain:
        context.load_verify_locations(certificate_chain)
    if ciphers:
        context.set_ciphers(ciphers)
    return context


def context_from_settings(settings: Any) -> ssl.SSLContext | None:
    """The TLS context described by an object with CherryPy's ``ssl_*`` attributes, or None.

    ``ssl_context``, when it is an :class:`ssl.SSLContext`, is used as is; otherwise a
    context is built from ``ssl_certificate`` and ``ssl_private_key``.  Only the ``builtin``
    ``ssl_module`` exists here.
    """
    module = getattr(settings, "ssl_module", None) or "builtin"
    context = getattr(settings, "ssl_context", None)
    certificate = getattr(settings, "ssl_certificate", None)
    if context is None and not certificate:
        return None
    if module != "builtin":
        raise ValueError(
            f"ssl_module {module!r} is not available in cherrypy-server; use 'builtin' "
            "(the ssl module of the standard library)."
        )
    if context is not None:
        import ssl

        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"ssl_context must be an ssl.SSLContext, not {type(context).__name__}")
        return context
    return make_ssl_context(
        str(certificate),
        getattr(settings, "ssl_private_key", None),
        getattr(settings, "ssl_certificate_chain", None),
        getattr(settings, "ssl_ciphers", None),
    )
