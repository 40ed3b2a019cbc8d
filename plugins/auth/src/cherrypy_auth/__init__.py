"""cherrypy-auth: HTTP Basic (RFC 7617) and Digest (RFC 7616) authentication.

``tools.auth_basic`` and ``tools.auth_digest`` protect a path; ``cherrypy.lib.auth_basic`` and
``cherrypy.lib.auth_digest`` (:mod:`cherrypy_auth.basic`, :mod:`cherrypy_auth.digest`) hold
their helpers::

    from cherrypy.lib import auth_digest

    USERS = {"jon": "secret"}
    conf = {
        "/protected/area": {
            "tools.auth_digest.on": True,
            "tools.auth_digest.realm": "localhost",
            "tools.auth_digest.get_ha1": auth_digest.get_ha1_dict_plain(USERS),
            "tools.auth_digest.key": "a565c27146791cfb",
        }
    }
"""

from __future__ import annotations

__version__ = "0.1.0"

from .basic import basic_auth, checkpassword_dict
from .credentials import get_ha1_dict, get_ha1_dict_plain, get_ha1_file_htdigest
from .digest import HttpDigestAuthorization, digest_auth, www_authenticate
from .nonces import NonceCounter, nonce_counter

__all__ = [
    "HttpDigestAuthorization",
    "NonceCounter",
    "__version__",
    "basic_auth",
    "checkpassword_dict",
    "digest_auth",
    "get_ha1_dict",
    "get_ha1_dict_plain",
    "get_ha1_file_htdigest",
    "nonce_counter",
    "www_authenticate",
]
