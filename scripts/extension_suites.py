#!/usr/bin/env python3
"""Run CherryPy extensions' own test suites against this project's kernel.

Usage (in an environment where cherrypy-kernel and the extensions are installed, e.g. the
workspace's virtualenv: ``nox -s extensions``)::

    python scripts/extension_suites.py [EXTENSION ...]

For each extension (default: cherrypy-cors, cherrys, cherrypy-jinja2) the source distribution
of the installed version is downloaded from PyPI into a temporary folder (nothing
is kept or committed), and the test files it ships are run with pytest, with this interpreter,
so ``import cherrypy`` is ours.  An extension whose sdist ships no tests is reported as such.
Exits with status 1 if any suite fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from importlib import metadata
from pathlib import Path

DEFAULT = ("cherrypy-cors", "cherrys", "cherrypy-jinja2")


INDEX = "https://pypi.org/simple/{name}/"
"""The simple repository API (PEP 503), which every index and mirror serves."""


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sdist_url(name: str, version: str) -> str:
    normalized = _normalize(name)
    with urllib.request.urlopen(INDEX.format(name=normalized), timeout=60) as resp:
        page = resp.read().decode()
    for href in re.findall(r'href="([^"]+)"', page):
        filename = href.split("#", 1)[0].rsplit("/", 1)[-1]
        stem = filename.removesuffix(".tar.gz")
        project, _, release = stem.rpartition("-")
        if stem != filename and release == version and _normalize(project) == normalized:
            return urllib.parse.urljoin(INDEX.format(name=normalized), href.split("#", 1)[0])
    raise LookupError(f"no source distribution of {name} {version} on {INDEX.format(name=name)}")


def _download(name: str, version: str, folder: Path) -> Path:
    url = _sdist_url(name, version)
    archive = folder / url.rsplit("/", 1)[1]
    with urllib.request.urlopen(url, timeout=120) as resp:
        archive.write_bytes(resp.read())
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    [tree] = (path for path in folder.iterdir() if path.is_dir())
    return tree


def _tests(tree: Path) -> list[Path]:
    found = sorted(tree.glob("test*.py")) + sorted(tree.glob("tests/test*.py"))
    return [path for path in found if path.is_file()]


def run(name: str) -> tuple[str, int]:
    """Run one extension's shipped tests; ``(summary line, exit status)``."""
    version = metadata.version(name)
    with tempfile.TemporaryDirectory(prefix="cherrypy-ext-") as folder:
        tree = _download(name, version, Path(folder))
        tests = _tests(tree)
        if not tests:
            return f"{name} {version}: its source distribution ships no tests", 0
        result = subprocess.run(
            [
                sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-c", "/dev/null", "--rootdir", str(tree), *map(str, tests),
            ],
            cwd=tree, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        summary = lines[-1] if lines else result.stderr.strip()[-200:]
        if result.returncode != 0:
            sys.stdout.write(result.stdout[-4000:])
        return f"{name} {version}: {summary}", result.returncode


def main(argv: list[str] | None = None) -> int:
    """Run every named extension's suite; 1 if any failed."""
    names = list(argv if argv is not None else sys.argv[1:]) or list(DEFAULT)
    status = 0
    for name in names:
        line, code = run(name)
        print(line)
        status = status or (1 if code else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
