"""The user documentation builds with Sphinx, warnings as errors (as ``nox -s docs`` does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "config-reference.html" in index
    reference = (tmp_path / "config-reference.html").read_text(encoding="utf-8")
    # Generated from the plugins' declared keys, not written by hand.
    assert "socket_port" in reference
    assert "tools.sessions" in reference
