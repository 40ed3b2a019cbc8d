"""The start-up log of the seed's ``tut01.py``, with cherrypy-process and cherrypy-server."""

from __future__ import annotations

import signal
import sys
from typing import Any

import pytest

TUT01 = """
import os
import cherrypy

class HelloWorld(object):
    @cherrypy.expose
    def index(self):
        return "Hello world!"

if __name__ == '__main__':
   cherrypy.config.update({"server.socket_port": int(os.environ["APP_PORT"]),
                           "engine.autoreload.match": "__main__"})
   cherrypy.quickstart(HelloWorld())
"""


def test_tut01_logs_the_seed_lines_in_the_seed_order(harness: Any) -> None:
    if harness.wsgiref:
        pytest.skip("quickstart() serves through cherrypy-server, which is not in use")
    harness.write("tut01.py", TUT01)
    process = harness.launch([sys.executable, "tut01.py"])
    assert harness.wait_serving() == "Hello world!"
    harness.wait_output("ENGINE Bus STARTED")
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    engine_lines = [
        line.split("] ENGINE ", 1)[1]
        for line in harness.output().splitlines()
        if "] ENGINE " in line
    ]
    expected = [
        "Listening for SIGHUP.",
        "Listening for SIGTERM.",
        "Listening for SIGUSR1.",
        "Bus STARTING",
        "Started monitor thread 'Autoreloader'.",
        f"Serving on http://127.0.0.1:{harness.port}",
        "Bus STARTED",
    ]
    assert engine_lines[: len(expected)] == expected
    assert "The Application mounted at '' has an empty config." in harness.output()
