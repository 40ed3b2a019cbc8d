"""Every Python example of ``docs/`` runs, so a renamed key or API breaks the build, not the reader.

Each fenced ``python`` block of every page is, in this order:

- **marked** as not run: the line just before it reads ``*Not run by the tests: REASON.*``,
  which the reader sees too;
- **covered** by another test that executes it (:data:`COVERED`, checked to name the page);
- a **test module** (its first line is ``# test_NAME.py``): run with pytest;
- otherwise **checked**: loaded as ``python -m cherrypy check`` loads an application (nothing
  started), with the start-up check, every path's pipeline compiled and the config checker's
  key checks as errors (``tests/docs_example_runner.py``); and, when it calls
  ``cherrypy.quickstart``, also **served**: run as ``python example.py`` on a free port, asked
  for its first page (anything but a 5xx) and stopped with SIGTERM (exit status 0).

Every checked example starts with ``import cherrypy``; a fragment that needs more from the
page around it (a root class, an earlier example, the plugin the page wrote) says so in
:data:`SETUPS`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUNNER = Path(__file__).resolve().parent / "docs_example_runner.py"
STARTED_LINES = (b"docs_example_runner: engine STARTED", b"ENGINE Bus STARTED")

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
NOT_RUN = re.compile(r"^\*Not run by the tests: (?P<reason>[^*]+)\*$")
TEST_MODULE = re.compile(r"^# (?:\S+/)?test_\w+\.py$")


@dataclass(frozen=True)
class Example:
    """One fenced ``python`` block: its page, first line, source and not-run reason."""

    page: str
    line: int
    source: str
    not_run: str | None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _examples() -> list[Example]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            # The paragraph just before the block, joined into one line.
            paragraph = text[: match.start()].rstrip().rsplit("\n\n", 1)[-1]
            marker = NOT_RUN.match(" ".join(paragraph.split()))
            source = textwrap.dedent(match["body"])
            line = text.count("\n", 0, match.start()) + 1
            reason = marker["reason"] if marker else None
            found.append(Example(path.name, line, source, reason))
    return found


EXAMPLES = _examples()

# Examples another test already executes: (page, text found in the example) -> that test.
COVERED: dict[tuple[str, str], str] = {
    ("plugins.md", "def cherrypy_register_dispatchers"): "tests/test_plugins_docs.py",
}

ROOT_CLASS = """
class Root:
    @cherrypy.expose
    def index(self):
        return "index"
"""


@dataclass(frozen=True)
class Setup:
    """What a fragment needs from the page around it to run.

    ``prelude`` and ``postlude`` are code run before and after it; ``after`` is the text of an
    earlier example of the page run first (as the reader ran it); ``files`` writes other
    examples of the page as modules (file name -> text in that example); ``replace`` adapts a
    line that only works inside its package; ``plugin`` registers the page's plugin example
    (text in that example, plugin name) as its entry point would.
    """

    prelude: str = ""
    postlude: str = ""
    after: str = ""
    files: tuple[tuple[str, str], ...] = ()
    replace: tuple[str, str] | None = None
    plugin: tuple[str, str] | None = None


MOUNT_CONFIG = ROOT_CLASS + "\ncherrypy.tree.mount(Root(), '/', config)\n"

SETUPS: dict[tuple[str, str], Setup] = {
    ("cptools.md", "def report(self):"): Setup(
        postlude="""
from cherrypy.testing import Client


class Root:
    report = report


with Client(Root()) as client:
    assert client.get("/report", headers={"Accept": "application/json"}).status_code == 200
"""
    ),
    ("deployment.md", "from myapp import Root"): Setup(files=(("myapp.py", 'return "Hello"'),)),
    ("deployment.md", '"tools.proxy.trusted"'): Setup(prelude=ROOT_CLASS),
    ("example-tool.md", "from .request_id import"): Setup(
        replace=("from .request_id import", "from cherrypy_example_tool.request_id import")
    ),
    ("metrics.md", '"metrics.port": 9100'): Setup(
        prelude=ROOT_CLASS + "\nShop = Root\nRoot.health = Root.index\n"
    ),
    ("migration.md", "cherrypy.kernel.pipeline.invalidate()"): Setup(
        prelude="import cherrypy.kernel.pipeline\n"
        + ROOT_CLASS
        + "\napp = cherrypy.tree.mount(Root(), '/', {'/': {}})\n"
    ),
    ("observability.md", '"/var/log/shop/access.log"'): Setup(
        replace=("/var/log/shop/", "")  # the log files go to the example's own folder
    ),
    ("sessions-memcached.md", '"memcached"'): Setup(postlude=MOUNT_CONFIG),
    ("sessions-postgres.md", '"postgresql"'): Setup(
        prelude="import os\n\nos.environ.setdefault('DB_PASSWORD', 'example')\n",
        postlude=MOUNT_CONFIG,
    ),
    ("tutorial-first-plugin.md", '"tools.poweredby.name": "my shop"'): Setup(
        plugin=("# src/cherrypy_poweredby/plugin.py", "poweredby")
    ),
    ("tutorial-first-plugin.md", "def test_the_header_is_set"): Setup(
        plugin=("# src/cherrypy_poweredby/plugin.py", "poweredby")
    ),
    ("websocket.md", "@cherrypy.tools.websocket(handler_cls=ChatSocket"): Setup(
        after="class ChatSocket(WebSocket):"
    ),
}


def _covering_test(example: Example) -> str | None:
    for (page, needle), test in COVERED.items():
        if page == example.page and needle in example.source:
            return test
    return None


def _setup(example: Example) -> Setup:
    for (page, needle), setup in SETUPS.items():
        if page == example.page and needle in example.source:
            return setup
    return Setup()


def _on_page(page: str, needle: str) -> Example:
    [found] = [e for e in EXAMPLES if e.page == page and needle in e.source]
    return found


def _plugin_prelude(example: Example, plugin: tuple[str, str]) -> str:
    source, name = _on_page(example.page, plugin[0]).source, plugin[1]
    return (
        "import types\n\nfrom cherrypy.plugin import get_plugin_manager\n\n"
        f"_plugin = types.ModuleType({name!r})\n"
        f"exec(compile({source!r}, {name!r}, 'exec'), _plugin.__dict__)\n"
        f"get_plugin_manager().register(_plugin, {name!r})\n"
    )


def _write(example: Example, folder: Path) -> Path:
    """Write the example (``example.py``, or its own ``test_*.py`` name) and what it needs."""
    setup = _setup(example)
    source = example.source
    if setup.replace:
        assert setup.replace[0] in source, setup.replace
        source = source.replace(*setup.replace)
    for name, needle in setup.files:
        (folder / name).write_text(_on_page(example.page, needle).source)
    first = source.splitlines()[0]
    if TEST_MODULE.match(first):
        prelude = _plugin_prelude(example, setup.plugin) if setup.plugin else "\n"
        (folder / "conftest.py").write_text(prelude)
        target = folder / Path(first[2:]).name
        target.write_text(source)
        return target
    if setup.plugin:
        (folder / "_docs_prelude.py").write_text(_plugin_prelude(example, setup.plugin))
    earlier = _on_page(example.page, setup.after).source if setup.after else ""
    parts = ["import cherrypy\n", setup.prelude, earlier, source, setup.postlude]
    target = folder / "example.py"
    target.write_text("\n".join(parts))
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT / "tests"))


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120, check=False
    )


def _serve(example: Path, folder: Path) -> None:
    """Run the example on a free port, GET its first page, stop it with SIGTERM."""
    port = _free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(RUNNER), "serve", str(example), str(port)],
            cwd=folder,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"never listened on {port}:\n{log.read_text(errors='replace')}")
                time.sleep(0.1)
        assert response.status_code < 500, log.read_text(errors="replace")
        # A SIGTERM before the bus has STARTED ends the process with status 70, as in CherryPy.
        # The runner announces it; a supervisor (granian) whose workers run the engine does not.
        while not any(line in log.read_bytes() for line in STARTED_LINES):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"never STARTED:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, log.read_text(errors="replace")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs(example: Example, tmp_path: Path) -> None:
    if example.not_run is not None:
        assert example.not_run.strip(), "a not-run marker gives its reason"
        pytest.skip(f"marked on the page: not run by the tests: {example.not_run}")
    covered = _covering_test(example)
    if covered is not None:
        pytest.skip(f"executed by {covered}")
    target = _write(example, tmp_path)
    if target.name != "example.py":
        result = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], tmp_path)
    else:
        result = _run([sys.executable, str(RUNNER), "check", str(target)], tmp_path)
    assert result.returncode == 0, f"{example.id}:\n{result.stdout}{result.stderr}"
    if target.name == "example.py" and "cherrypy.quickstart(" in example.source:
        _serve(target, tmp_path)


def test_registries_name_existing_examples_and_tests() -> None:
    """Each registry entry matches one example, and a covering test reads that page."""
    for page, needle in [*COVERED, *SETUPS]:
        matching = [e.id for e in EXAMPLES if e.page == page and needle in e.source]
        assert len(matching) == 1, f"{page!r}, {needle!r} matches {matching}"
    for (page, _), test in COVERED.items():
        assert page in (ROOT / test).read_text(encoding="utf-8"), f"{test} does not read {page}"
    for (page, _), setup in SETUPS.items():
        for needle in [setup.after, *(n for _, n in setup.files), *(setup.plugin or ())[:1]]:
            if needle:
                _on_page(page, needle)


def test_the_examples_are_found() -> None:
    """The extraction sees the pages' examples, indented ones (in lists) included."""
    pages = {e.page for e in EXAMPLES}
    assert {"index.md", "getting-started.md", "tutorial-first-plugin.md"} <= pages
    assert len(EXAMPLES) > 60


def test_a_misspelled_key_fails_the_check(tmp_path: Path) -> None:
    """The check is strict enough for its purpose: a renamed key breaks the build."""
    example = tmp_path / "example.py"
    example.write_text(
        "import cherrypy\n" + ROOT_CLASS + "\ncherrypy.quickstart(Root(), '/', "
        "{'/': {'tools.sessions.on': True, 'tools.sessions.timout': 5}})\n"
    )
    result = _run([sys.executable, str(RUNNER), "check", str(example)], tmp_path)
    assert result.returncode == 1
    assert "tools.sessions.timeout" in result.stdout  # "Did you mean ...?"
