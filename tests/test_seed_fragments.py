"""The seed's code fragments, each saved unchanged and run in a real process.

A fragment is not a program (``cherrypy.quickstart(myapp, '/', conf)`` never defines
``myapp``; an INI snippet needs a program to load it), so ``seed_examples/host.py`` runs it:
it executes the fragments given on its command line unchanged, in one namespace that has
``cherrypy`` and a small ``myapp``, and calls ``cherrypy.quickstart`` last unless a fragment
did.  Each test drives the result over real HTTP, checking what the seed's text promises.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

BASE = "http://127.0.0.1:8080"
HOST = ["{python}", "_host.py"]
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"

RunSeed = Any  # the ``run_seed`` fixture of tests/conftest.py


def _gzipped(url: str) -> requests.Response:
    reply = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Vary"] == "Accept-Encoding"
    return reply


# -- Logging ------------------------------------------------------------------------------


def test_logging_cherrypy_log_writes_to_the_error_log(run_seed: RunSeed) -> None:
    proc = run_seed("logging/log_message.py", argv=[*HOST, "log_message.py"])
    assert requests.get(BASE, timeout=10).text == "Hello World!"
    line = next(x for x in proc.output.splitlines() if x.endswith("hello there"))
    assert line.startswith("[") and "] " in line  # "[date] hello there", the error log format
    assert proc.stop() == 0, proc.output


def test_logging_an_exception_only_when_one_is_raised(run_seed: RunSeed) -> None:
    # ``...`` raises nothing, so the except clause never logs "kaboom!".
    proc = run_seed("logging/log_traceback.py", argv=[*HOST, "log_traceback.py"])
    assert requests.get(BASE, timeout=10).text == "Hello World!"
    assert proc.stop() == 0, proc.output
    assert "kaboom" not in proc.output and "Traceback" not in proc.output


def test_logging_named_loggers_do_not_interfere(run_seed: RunSeed) -> None:
    proc = run_seed("logging/named_logger.py", argv=[*HOST, "named_logger.py"])
    assert requests.get(BASE, timeout=10).text == "Hello World!"
    proc.wait_for_output("index called")
    assert proc.stop() == 0, proc.output
    lines = proc.output.splitlines()
    # The host's page logs through 'myapp.mypackage': exactly once, in the handler's own
    # format; CherryPy's own access line is not routed through the application's logger.
    assert lines.count("index called") == 1
    assert sum('"GET / HTTP/1.1" 200' in x for x in lines) == 1


# -- Configuring --------------------------------------------------------------------------


@pytest.mark.parametrize("fragment", ["config_update_dict.py", "config_update_file.py"])
def test_global_server_settings_move_the_server_to_9090(run_seed: RunSeed, fragment: str) -> None:
    proc = run_seed(f"configuring/{fragment}", argv=[*HOST, fragment], port=9090)
    assert requests.get("http://127.0.0.1:9090/", timeout=10).text == "Hello World!"
    assert "Serving on http://127.0.0.1:9090" in proc.output
    assert proc.stop() == 0, proc.output


@pytest.mark.parametrize("fragment", ["quickstart_dict.py", "quickstart_file.py"])
def test_global_application_settings_switch_gzip_on(run_seed: RunSeed, fragment: str) -> None:
    proc = run_seed(f"configuring/{fragment}", argv=[*HOST, fragment])
    reply = _gzipped(BASE + "/")
    assert gzip.decompress(reply.raw.read()) == b"Hello World!"
    assert "Content-Encoding" not in requests.get(BASE, headers={"Accept-Encoding": ""}).headers
    assert proc.stop() == 0, proc.output


@pytest.mark.parametrize("fragment", ["local_decorator.py", "local_cp_config.py"])
def test_local_application_settings_switch_gzip_on(run_seed: RunSeed, fragment: str) -> None:
    proc = run_seed(f"configuring/{fragment}", argv=[*HOST, fragment])
    reply = _gzipped(BASE + "/")
    assert gzip.decompress(reply.raw.read()) == b"hello world!"
    assert proc.stop() == 0, proc.output


# -- Sessions -----------------------------------------------------------------------------


def _count_three_times(session: requests.Session) -> str:
    for _ in range(3):
        assert session.get(BASE + "/", timeout=10).status_code == 200
    return session.get(BASE + "/count", timeout=10).text


def test_using_sessions_counts_per_user(run_seed: RunSeed) -> None:
    proc = run_seed(
        "sessions/counter.py", argv=[*HOST, "counter.py", "quickstart_file.py"]
    )  # app.conf: tools.sessions.on
    alice = requests.Session()
    assert _count_three_times(alice) == "3"
    cookie = next(c for c in alice.cookies if c.name == "session_id")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert requests.get(BASE + "/count", timeout=10).text == "None"  # a new user
    assert _count_three_times(alice) == "6"
    assert proc.stop() == 0, proc.output


def test_filesystem_backend_with_the_seeds_missing_directory_says_so(run_seed: RunSeed) -> None:
    # The seed's "/some/directorys" does not exist: every request is a 500 whose logged
    # cause names the key and the path.
    assert not Path("/some/directorys").exists()
    proc = run_seed("sessions/file_backend.conf", argv=[*HOST, "file_backend.conf"])
    assert requests.get(BASE, timeout=10).status_code == 500
    output = proc.wait_for_output("does not exist")
    assert "tools.sessions.storage_path '/some/directorys' does not exist" in output
    assert proc.stop() == 0, proc.output


def test_memcached_backend_keeps_sessions_across_restarts(
    run_seed: RunSeed, tmp_path: Path, need: Any
) -> None:
    need(_installed("cherrypy_sessions_memcached"), "cherrypy-sessions-memcached is not installed")
    need(not need.port_in_use(11211), "port 11211 (memcached's default) is already in use")
    started = subprocess.run(
        [str(SCRIPTS / "start-memcached.sh"), str(tmp_path / "mc"), "11211"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    need(started.returncode != 127, "memcached is not installed (Debian package memcached)")
    assert started.returncode == 0, started.stderr
    try:
        argv = [*HOST, "counter.py", "memcached_backend.conf"]
        proc = run_seed("sessions/counter.py", argv=argv)
        alice = requests.Session()
        assert _count_three_times(alice) == "3"
        assert proc.stop() == 0, proc.output
        # A new process (as after a restart, or another worker) finds the same session.
        proc = run_seed("sessions/counter.py", argv=argv)
        assert _count_three_times(alice) == "6"
        assert proc.stop() == 0, proc.output
    finally:
        subprocess.run([str(SCRIPTS / "stop-memcached.sh"), str(tmp_path / "mc")], timeout=60)


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# -- Static content -----------------------------------------------------------------------


def _with_home_site(tmp_path: Path, need: Any) -> list[str]:
    """A command prefix giving the program a private /home/site (a mount namespace).

    The seed's static snippets name absolute paths under /home/site; they run unchanged in
    a namespace where a tmpfs holds that folder, so the machine's /home is never touched.
    """
    unshare = shutil.which("unshare")
    need(unshare is not None, "unshare (util-linux) is not installed")
    need(os.geteuid() == 0, "a private /home/site needs a mount namespace, which needs root")
    here = str(Path(sys.prefix).resolve())
    need(not here.startswith("/home/"), "the test's Python lives under /home")
    site = tmp_path / "site"
    (site / "static" / "js").mkdir(parents=True)
    (site / "style.css").write_text("body { color: green; }\n")
    (site / "static" / "js" / "my.js").write_text("console.log('my.js');\n")
    script = 'mount -t tmpfs tmpfs /home && cp -r "$0" /home/site && exec "$@"'
    return [str(unshare), "--mount", "--propagation", "private", "sh", "-c", script, str(site)]


def test_serving_a_single_file(run_seed: RunSeed, tmp_path: Path, need: Any) -> None:
    prefix = _with_home_site(tmp_path, need)
    proc = run_seed("static/single_file.conf", argv=[*prefix, *HOST, "single_file.conf"])
    reply = requests.get(BASE + "/style.css", timeout=10)
    assert reply.status_code == 200
    assert reply.text == "body { color: green; }\n"
    assert reply.headers["Content-Type"].startswith("text/css")
    assert requests.get(BASE + "/", timeout=10).text == "Hello World!"
    assert proc.stop() == 0, proc.output


@pytest.mark.parametrize("snippet", ["directory.conf", "root_shortcut.conf"])
def test_serving_a_whole_directory(
    run_seed: RunSeed, tmp_path: Path, need: Any, snippet: str
) -> None:
    prefix = _with_home_site(tmp_path, need)
    proc = run_seed(f"static/{snippet}", argv=[*prefix, *HOST, snippet])
    reply = requests.get(BASE + "/static/js/my.js", timeout=10)
    assert reply.status_code == 200
    assert reply.text == "console.log('my.js');\n"
    assert "javascript" in reply.headers["Content-Type"]
    assert requests.get(BASE + "/static/js/none.js", timeout=10).status_code == 404
    assert requests.get(BASE + "/static/../style.css", timeout=10).status_code in (403, 404)
    assert proc.stop() == 0, proc.output


# -- JSON ---------------------------------------------------------------------------------


def test_decoding_request_json(run_seed: RunSeed) -> None:
    proc = run_seed("json/decoding.py", argv=[*HOST, "decoding.py"])
    reply = requests.post(BASE + "/", json={"key": [1, 2]}, timeout=10)
    assert reply.status_code == 200
    plain = requests.post(BASE + "/", data="x=1", timeout=10)
    assert plain.status_code == 415
    broken = requests.post(
        BASE + "/", data="{nope", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert broken.status_code == 400
    assert proc.stop() == 0, proc.output


def test_encoding_response_json(run_seed: RunSeed) -> None:
    proc = run_seed("json/encoding.py", argv=[*HOST, "encoding.py"])
    reply = requests.get(BASE + "/", timeout=10)
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"key": "value"}
    assert proc.stop() == 0, proc.output


# -- Authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "auth", "scheme"),
    [
        ("basic.py", HTTPBasicAuth, 'Basic realm="localhost", charset="UTF-8"'),
        ("digest.py", HTTPDigestAuth, 'Digest realm="localhost"'),
    ],
)
def test_authentication_protects_only_the_area(
    run_seed: RunSeed, snippet: str, auth: Any, scheme: str
) -> None:
    proc = run_seed(f"auth/{snippet}", argv=[*HOST, snippet])
    area = BASE + "/protected/area/"
    challenge = requests.get(area, timeout=10)
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"].startswith(scheme)
    assert requests.get(area, auth=auth("jon", "wrong"), timeout=10).status_code == 401
    reply = requests.get(area, auth=auth("jon", "secret"), timeout=10)
    assert (reply.status_code, reply.text) == (200, "Welcome to the protected area, jon")
    assert requests.get(BASE + "/", timeout=10).text == "Hello World!"  # only the area
    assert proc.stop() == 0, proc.output
