"""``quickstart``, ``python -m cherrypy serve`` and ``cherryd`` exit at once with the reason.

Two kinds of failure, each run as a real process:

* no HTTP server would run: cherrypy-server's plugin blocked, switched off or disabled
  (``CHERRYPY_BLOCK_PLUGINS=server``, ``CHERRYPY_DISABLE_PLUGIN_AUTOLOAD=1``,
  ``plugins.disabled``, ``--disable-plugin``): status 1 and a line naming why, instead of an
  engine that starts and serves nothing;
* the start-up check refuses the configuration (``engine.start()`` raises ``StartupError``):
  status 1, its lines on stderr although ``log.screen`` is off, and nothing listening.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = textwrap.dedent(
    """
    import os

    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            return "hello"

    cherrypy.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": int(os.environ["APP_PORT"]),
            "engine.autoreload.on": False,
        }
    )
    """
)

HELLO = ROOT + "\ncherrypy.quickstart(Root())\n"

DISABLED_IN_CONFIG = ROOT + (
    '\ncherrypy.config.update({"plugins.disabled": ["server"]})\ncherrypy.quickstart(Root())\n'
)

MISSING_TOOL = ROOT + textwrap.dedent(
    """
    cherrypy.config.update({"log.screen": False})
    conf = {"/": {"tools.no_such_tool_at_all.on": True}}
    if __name__ == "__main__":
        cherrypy.quickstart(Root(), "", conf)
    else:
        cherrypy.tree.mount(Root(), "", conf)
    """
)

SWITCHES = (
    "CHERRYPY_BLOCK_PLUGINS",
    "CHERRYPY_PLUGINS",
    "CHERRYPY_DISABLE_PLUGIN_AUTOLOAD",
)

HAS_SERVER = importlib.util.find_spec("cherrypy_server") is not None
pytestmark = pytest.mark.skipif(not HAS_SERVER, reason="cherrypy-server is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(
    tmp_path: Path, source: str, argv: list[str], **switches: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Write ``app.py``, run ``argv`` in ``tmp_path`` (30 s at most); return it and the port.

    ``{port}`` in ``argv`` is replaced by the port the application is configured with.
    """
    (tmp_path / "app.py").write_text(source)
    port = _free_port()
    argv = [part.format(port=port) for part in argv]
    env = {key: value for key, value in os.environ.items() if key not in SWITCHES}
    env.update(switches, APP_PORT=str(port), PYTHONPATH=str(tmp_path))
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    return done, port


def _nothing_listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


SERVE = [sys.executable, "-m", "cherrypy", "serve", "app:Root", "--port", "{port}"]
QUICKSTART = [sys.executable, "app.py"]


@pytest.mark.parametrize(
    ("switch", "value", "why"),
    [
        ("CHERRYPY_BLOCK_PLUGINS", "server", "blocked by CHERRYPY_BLOCK_PLUGINS"),
        ("CHERRYPY_DISABLE_PLUGIN_AUTOLOAD", "1", "CHERRYPY_DISABLE_PLUGIN_AUTOLOAD"),
        ("CHERRYPY_PLUGINS", "process", "not listed in CHERRYPY_PLUGINS"),
    ],
)
@pytest.mark.parametrize("argv", [QUICKSTART, SERVE], ids=["quickstart", "serve"])
def test_no_server_plugin_exits_at_once_saying_why(
    tmp_path: Path, argv: list[str], switch: str, value: str, why: str
) -> None:
    done, _port = _run(tmp_path, HELLO, argv, **{switch: value})
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if "no HTTP server" in line]
    assert len(lines) == 1, done.stderr
    assert "cherrypy-server" in lines[0] and why in lines[0]
    assert "Bus STARTING" not in done.stderr


def test_quickstart_with_the_server_disabled_in_config(tmp_path: Path) -> None:
    done, _port = _run(tmp_path, DISABLED_IN_CONFIG, QUICKSTART)
    assert done.returncode == 1, done.stderr
    assert "no HTTP server" in done.stderr and "plugins.disabled" in done.stderr
    assert "Bus STARTING" not in done.stderr


def test_serve_with_the_server_disabled_on_the_command_line(tmp_path: Path) -> None:
    done, _port = _run(tmp_path, ROOT, [*SERVE, "--disable-plugin", "server"])
    assert done.returncode == 1, done.stderr
    assert "no HTTP server" in done.stderr and "--disable-plugin" in done.stderr


def _cherryd() -> list[str]:
    script = shutil.which("cherryd", path=str(Path(sys.executable).parent))
    if script is None or importlib.util.find_spec("cherrypy_process") is None:
        pytest.skip("cherrypy-process (cherryd) is not installed")
    return [script, "-i", "app"]


@pytest.mark.parametrize("command", ["quickstart", "serve", "cherryd"])
def test_a_refused_configuration_exits_with_status_1(tmp_path: Path, command: str) -> None:
    serve_script = [*SERVE[:4], "app.py", "--port", "{port}"]  # mounted by its quickstart()
    argv = {"quickstart": QUICKSTART, "serve": serve_script, "cherryd": None}[command]
    argv = argv or _cherryd()
    done, port = _run(tmp_path, MISSING_TOOL, argv)
    assert done.returncode == 1, done.stderr
    assert "tools.no_such_tool_at_all.on" in done.stderr, "log.screen is off: written anyway"
    assert "Bus STARTING" not in done.stderr and "Traceback" not in done.stderr
    if command == "cherryd":
        assert "cherryd: start-up failed" in done.stderr
    assert _nothing_listens(port)
