"""Start-up stays cheap: loading every plugin imports none of the slow standard modules.

Every plugin module is imported when the engine boots, so a module-level ``import ssl`` (or
hashlib, xmlrpc.client, pickle...) in any of them is paid by every application, whether it
uses the feature or not.  The plugins import those where they are used; this test serves a
hello world in a fresh interpreter, with every distribution of the workspace installed, and
checks that none of them was imported.  ``bench/startup_time.py`` measures the time itself
(docs/performance.md, "Start-up time").
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
import textwrap

HELLO = textwrap.dedent(
    """
    import json, os, socket, sys

    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            return "Hello world!"

    port = int(sys.argv[1])
    cherrypy.config.update(
        {"environment": "production", "server.socket_host": "127.0.0.1", "server.socket_port": port}
    )
    cherrypy.tree.mount(Root())
    cherrypy.engine.start()
    # A plain connect: socket.create_connection would itself import encodings.idna.
    with socket.socket() as sock:
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    modules = sorted(sys.modules)
    from cherrypy.kernel import pluginmanager

    print(json.dumps({
        "status": answer.split(b"\\r\\n", 1)[0].decode(),
        "plugins": [name for name, _ in pluginmanager.get_plugin_manager().list_name_plugin()],
        "modules": modules,
    }))
    sys.stdout.flush()
    os._exit(0)
    """
)

SLOW_MODULES = (
    "ssl",  # cherrypy-server without TLS settings
    "http.client",  # xmlrpc.client pulls it in, with email.parser
    "xmlrpc.client",  # cherrypy-xmlrpc
    "xml.parsers.expat",
    "hashlib",  # auth, caching (etags), sessions, static (OpenSSL is loaded with it)
    "hmac",
    "secrets",
    "pickle",  # the session stores
    "mimetypes",  # cherrypy-static: the web types are in its own table
    "unicodedata",
    "encodings.idna",  # getaddrinfo with a str host
)
# (subprocess is left out: the bus imports it only to re-execute, but some versions of
# packaging, which the plugin manager uses, import it.)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serving_hello_world_imports_no_slow_module() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHERRYPY_")}
    result = subprocess.run(
        [sys.executable, "-c", HELLO, str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] == "HTTP/1.1 200 OK"
    # Every plugin of the workspace loaded: the check covers them all.
    for name in ("auth", "caching", "server", "sessions", "static", "xmlrpc", "json", "process"):
        assert name in report["plugins"]
    imported = sorted(set(SLOW_MODULES) & set(report["modules"]))
    assert imported == [], (
        f"imported while starting a hello world: {imported}; import them in the functions "
        "that use them (docs/performance.md, 'Start-up time')"
    )


def test_file_sessions_still_pickle_with_the_highest_protocol() -> None:
    from cherrypy_sessions import FileSession

    # Written out as a number so that pickle is not imported at start-up.
    assert FileSession.pickle_protocol == pickle.HIGHEST_PROTOCOL
