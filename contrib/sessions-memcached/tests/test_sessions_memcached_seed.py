"""The seed's "Memcached backend" config snippet, as an INI file, over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

import cherrypy
from cherrypy.testing import serve

SEED_SNIPPET = '[/]\ntools.sessions.on: True\ntools.sessions.storage_type = "memcached"\n'


def test_seed_memcached_snippet_shares_sessions(tmp_path: Path, memcached: Any) -> None:
    conf = tmp_path / "app.conf"
    # The seed's lines unchanged, plus where the test's memcached listens (not 11211).
    conf.write_text(SEED_SNIPPET + f'tools.sessions.servers = ["{memcached.address}"]\n')

    class Counter:
        @cherrypy.expose
        def index(self) -> str:
            cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
            return str(cherrypy.session["n"])

    cherrypy.tree.mount(Counter(), "/", str(conf))
    with serve() as base, requests.Session() as client:
        counts = [client.get(base + "/", timeout=10).text for _ in range(3)]
    assert counts == ["1", "2", "3"]
