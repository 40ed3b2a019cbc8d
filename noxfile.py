"""nox sessions for cherrypy-kernel: tests, kernel, lint, typecheck, demo, docs, docs-screenshots,
bench.

Every session installs the locked workspace (uv.lock) into its own virtualenv with uv.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "typecheck", "kernel", "tests"]

PYTHON = os.environ.get("NOX_PYTHON") or None


def _uv() -> str:
    """The uv executable: the one the ``uv`` package ships, else ``uv`` on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return "uv"


def _sync(session: nox.Session, *extra: str) -> None:
    """Install the locked workspace (all members, dev group) into the session's venv."""
    session.run_install(
        _uv(),
        "sync",
        "--locked",
        "--all-packages",
        "--group",
        "dev",
        *extra,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite: kernel, plugins, contrib and cross-distribution tests."""
    _sync(session, "--all-extras")
    # Tests that install a fixture distribution find uv here even when it is not on PATH.
    session.run("pytest", *session.posargs, env={"UV_BIN": _uv()})


@nox.session(python=PYTHON)
def kernel(session: nox.Session) -> None:
    """The kernel alone (no plugin installed): its own tests must pass."""
    session.install("-e", "core", "pytest>=8", "pytest-timeout>=2.3", "hypothesis>=6.100")
    session.run("python", "-m", "cherrypy", "plugins")
    session.run("pytest", "core/tests", *session.posargs)


ROOT = Path(__file__).parent


def _distributions() -> dict[str, str]:
    """Workspace distribution name -> its folder (relative to the repository)."""
    found = {}
    for pattern in ("core/pyproject.toml", "plugins/*/pyproject.toml", "contrib/*/pyproject.toml"):
        for path in sorted(ROOT.glob(pattern)):
            name = tomllib.loads(path.read_text())["project"]["name"]
            found[name] = str(path.parent.relative_to(ROOT))
    return found


def _local_requirements(folder: str, dists: dict[str, str]) -> list[str]:
    """Editable installs of ``folder`` and of the workspace distributions it depends on."""
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
    needed = [folder]
    for requirement in project.get("dependencies", []):
        name = requirement.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        if name in dists and dists[name] not in needed:
            needed.extend(_local_requirements(dists[name], dists))
    return needed


DISTRIBUTIONS = _distributions()
PLUGIN_DIRS = [folder for name, folder in DISTRIBUTIONS.items() if name != "cherrypy-kernel"]


@nox.session(python=PYTHON)
@nox.parametrize("plugin", PLUGIN_DIRS)
def plugin(session: nox.Session, plugin: str) -> None:
    """One plugin distribution with only the kernel (and what it declares) beside it."""
    editable = [
        arg
        for folder in dict.fromkeys(_local_requirements(plugin, DISTRIBUTIONS))
        for arg in ("-e", folder)
    ]
    session.install(
        *editable, "pytest>=8", "pytest-timeout>=2.3", "requests>=2.31", "hypothesis>=6.100"
    )
    session.run("pytest", f"{plugin}/tests", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy over every distribution's sources, and ``--strict`` on the plugin API module."""
    _sync(session, "--all-extras")
    session.run("mypy")
    session.run("mypy", "--strict", "--follow-imports=silent", "core/src/cherrypy/plugin.py")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Run the demo application on http://127.0.0.1:8080 (Ctrl-C to stop)."""
    _sync(session)
    session.run("python", "docs/examples/demo.py")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the Sphinx documentation with warnings as errors."""
    _sync(session, "--all-extras")
    session.run("sphinx-build", "-W", "-b", "html", "docs", "docs/_build/html", *session.posargs)


@nox.session(python=PYTHON, name="docs-screenshots")
def docs_screenshots(session: nox.Session) -> None:
    """Build the docs, then PNGs of the landing page and a reference page (light and dark) in
    docs/_build/screenshots, taken by headless Chromium (apt-get install chromium)."""
    _sync(session, "--all-extras")
    session.run("sphinx-build", "-W", "-q", "-b", "html", "docs", "docs/_build/html")
    session.run(
        "python", "scripts/docs_screenshots.py", "docs/_build/html", "docs/_build/screenshots"
    )


@nox.session(python=PYTHON)
def extensions(session: nox.Session) -> None:
    """CherryPy extensions' own test suites (from their sdists) against our kernel."""
    _sync(session)
    session.run("python", "scripts/extension_suites.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with CherryPy 18.10 and peers (run on demand, never in CI).

    ``nox -s bench`` prints the hello-world table of ``bench/peers.py`` (ours, CherryPy 18.10,
    Bottle on waitress, Falcon/Bottle/bare WSGI/the kernel on granian); its options follow
    ``--``: ``nox -s bench -- --seconds 3 --repeats 2 --only ours,cherrypy --json``.  A script
    name first runs that script of ``bench/`` instead: ``nox -s bench -- run.py`` (the
    in-process comparison), ``nox -s bench -- scenarios.py`` (issue 24's scenarios over HTTP:
    404, static files, JSON, sessions, gzip, streaming, POST, against CherryPy 18.10 and two
    bare-server floors), ``nox -s bench -- scenarios_inproc.py`` (the same pages in process),
    ``nox -s bench -- http_server.py --big-file``.
    """
    _sync(session)
    args = list(session.posargs)
    if args and args[0].endswith(".py"):
        session.run("python", f"bench/{Path(args[0]).name}", *args[1:])
    else:
        session.run("python", "bench/peers.py", *args)


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """100,000 mixed requests at 16 connections; fails on errors or RSS/fd/thread growth.

    Run on demand, never in CI: ``nox -s soak`` (or ``nox -s soak -- --requests 300000``; see
    ``bench/soak.py --help``).  ``tests/test_soak.py`` runs a short version in the suite.
    """
    _sync(session)
    session.run("python", "bench/soak.py", *session.posargs)


FUZZ_HARNESSES = ("parser", "headers", "config")


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """Coverage-guided fuzzing (atheris) of the request parser, header helpers and config parser.

    Run on demand, never in CI: ``nox -s fuzz`` gives each harness in ``fuzz/`` 60 seconds;
    ``nox -s fuzz -- 600`` ten minutes each; ``nox -s fuzz -- 300 parser`` one harness.  Seeds
    come from ``fuzz/corpus/<harness>/``; new inputs go to ``fuzz/work/<harness>/``, crashing ones
    to ``fuzz/work/crashes/`` (see docs/dev/hardening.md).
    """
    _sync(session)
    session.install("atheris>=2.3")
    seconds = "60"
    names = list(FUZZ_HARNESSES)
    args = list(session.posargs)
    if args and args[0].isdigit():
        seconds = args.pop(0)
    if args:
        unknown = sorted(set(args) - set(FUZZ_HARNESSES))
        if unknown:
            session.error(f"unknown harness {', '.join(unknown)}; choose from {FUZZ_HARNESSES}")
        names = args
    crashes = ROOT / "fuzz" / "work" / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    for name in names:
        work = ROOT / "fuzz" / "work" / name
        work.mkdir(parents=True, exist_ok=True)
        options = [f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=4096"]
        options.append(f"-artifact_prefix={crashes}/{name}-")
        if name == "parser":
            options.append(f"-dict={ROOT / 'fuzz' / 'http.dict'}")
        session.run(
            "python",
            f"fuzz/fuzz_{name}.py",
            *options,
            str(work),
            str(ROOT / "fuzz" / "corpus" / name),
        )
