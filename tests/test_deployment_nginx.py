"""The nginx server block of docs/deployment.md, run for real in front of ``cherrypy-server``.

The block is read from the page (ports and paths replaced), so the documentation is what is
tested.  The application switches ``tools.proxy`` on as the page says; the tests check that
redirects, ``cherrypy.url()``, ``request.base`` and ``request.remote.ip`` carry the public
address, and that nginx answers static files itself.  Needs Debian's ``nginx`` (skipped
without it, a failure under CI=true).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

DOCS = Path(__file__).resolve().parents[1] / "docs"

APP = textwrap.dedent(
    """
    import cherrypy


    class Root:
        @cherrypy.expose
        def index(self):
            return "home"

        @cherrypy.expose
        def where(self):
            request = cherrypy.request
            return "|".join([cherrypy.url("/page"), request.base, request.remote.ip])

        @cherrypy.expose
        def go(self):
            raise cherrypy.HTTPRedirect("/target")

        @cherrypy.expose
        def echo(self, text=""):
            return text


    class Folder:
        @cherrypy.expose
        def index(self):
            return "folder"


    Root.folder = Folder()

    cherrypy.config.update({"environment": "production"})
    # As docs/deployment.md says: believe X-Forwarded-* from nginx only.
    cherrypy.tree.mount(
        Root(), "/", {"/": {"tools.proxy.on": True, "tools.proxy.trusted": "127.0.0.1"}}
    )
    application = cherrypy.tree
    """
)


def need_nginx() -> str:
    """nginx's path; skip without it, but fail under CI=true (CI must install it)."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )
    if found is None:
        reason = "nginx is not installed (Debian package nginx)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: this test must run)")
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def documented_server_block() -> str:
    page = (DOCS / "deployment.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", page, re.S)
    assert len(blocks) == 1, "docs/deployment.md should hold one nginx block"
    return blocks[0]


def wait_for(predicate: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Deployment:
    """nginx on ``port`` in front of cherrypy-server; ``host`` is the public name."""

    port: int
    host: str
    static: Path

    def get(
        self, path: str, headers: dict[str, str] | None = None, **kwargs: object
    ) -> requests.Response:
        return requests.get(
            f"http://127.0.0.1:{self.port}{path}",
            headers={"Host": f"{self.host}:{self.port}", **(headers or {})},
            allow_redirects=False,
            timeout=10,
            **kwargs,  # type: ignore[arg-type]
        )


def start_app(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    (tmp_path / "deployapp.py").write_text(APP)
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cherrypy_server", "deployapp:application"]
            + ["--bind", "127.0.0.1:0"],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    found: list[int] = []

    def serving() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"cherrypy-server exited:\n{log.read_text()}")
        match = re.search(r"Serving \S+ on http://127\.0\.0\.1:(\d+)", log.read_text())
        if match:
            found.append(int(match.group(1)))
        return bool(found)

    wait_for(serving, "cherrypy-server to listen")
    return proc, found[0]


def nginx_config(tmp_path: Path, nginx_port: int, app_port: int, static: Path) -> Path:
    block = documented_server_block()
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{nginx_port};"),
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{app_port};"),
        ("/srv/myapp/static/", f"{static}/"),
    ):
        assert old in block, old
        block = block.replace(old, new)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log info;
events {{ worker_connections 64; }}
http {{
    types {{ text/plain txt; text/css css; }}
    access_log {tmp_path}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{textwrap.indent(block, "    ")}
}}
"""
    )
    return config


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx = need_nginx()
    tmp_path = tmp_path_factory.mktemp("nginx")
    static = tmp_path / "static"
    static.mkdir()
    (static / "hello.txt").write_text("static hello\n")
    app, app_port = start_app(tmp_path)
    nginx_port = free_port()
    config = nginx_config(tmp_path, nginx_port, app_port, static)
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    proxy = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def listening() -> bool:
            if proxy.poll() is not None:
                raise AssertionError((tmp_path / "error.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", nginx_port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(listening, "nginx to listen")
        yield Deployment(nginx_port, "www.example.com", static)
    finally:
        stop(proxy)
        stop(app)


def test_pages_are_proxied(deployment: Deployment) -> None:
    response = deployment.get("/")
    assert (response.status_code, response.text) == (200, "home")
    assert response.headers["Server"].startswith("nginx")
    assert deployment.get("/echo", params={"text": "héllo wörld"}).text == "héllo wörld"


def test_url_and_base_carry_the_public_host(deployment: Deployment) -> None:
    public = f"http://{deployment.host}:{deployment.port}"
    url, base, remote = deployment.get("/where").text.split("|")
    assert url == f"{public}/page"
    assert base == public
    assert remote == "127.0.0.1"  # the test client, as forwarded by nginx


def test_redirects_point_at_the_proxy(deployment: Deployment) -> None:
    public = f"http://{deployment.host}:{deployment.port}"
    redirect = deployment.get("/go")
    assert redirect.status_code == 303
    assert redirect.headers["Location"] == f"{public}/target"
    slash = deployment.get("/folder")
    assert slash.status_code == 301
    assert slash.headers["Location"] == f"{public}/folder/"


def test_forwarded_proto_sets_the_scheme(deployment: Deployment) -> None:
    # nginx overwrites X-Forwarded-Proto with its own scheme: a client cannot claim https.
    response = deployment.get("/where", headers={"X-Forwarded-Proto": "https"})
    assert response.text.startswith(f"http://{deployment.host}:{deployment.port}/page|")


def test_static_files_are_served_by_nginx(deployment: Deployment) -> None:
    response = deployment.get("/static/hello.txt")
    assert response.status_code == 200
    assert response.text == "static hello\n"
    assert response.headers["Content-Type"] == "text/plain"
    assert "Cache-Control" in response.headers  # nginx's `expires 1h`
    assert deployment.get("/static/missing.txt").status_code == 404
