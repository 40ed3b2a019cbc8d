"""PNG screenshots of the built documentation, for a reviewer to look at (``nox -s docs-screenshots``).

    python scripts/docs_screenshots.py [BUILD_DIR] [OUT_DIR]

``BUILD_DIR`` is Sphinx's HTML output (default ``docs/_build/html``); the screenshots go to
``OUT_DIR`` (default ``docs/_build/screenshots``): the landing page and a reference page, in
light mode and in dark mode (Furo follows the system's colour scheme, which Chromium's
``--force-dark-mode`` sets). Headless Debian Chromium takes them (``apt-get install chromium``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"landing": "index.html", "reference-plugin-api": "plugin-api.html"}
WINDOW = "1400,1000"


def chromium() -> str:
    """The Chromium executable, or SystemExit naming the package to install."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("docs_screenshots: chromium is not installed (apt-get install chromium)")


def screenshot(page: Path, png: Path, *, dark: bool = False) -> None:
    """Render ``page`` in headless Chromium and write it to ``png``."""
    with tempfile.TemporaryDirectory(prefix="docs-screenshots-") as profile:
        argv = [
            chromium(),
            "--headless=new",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW}",
            f"--screenshot={png}",
            *(["--force-dark-mode", "--blink-settings=preferredColorScheme=0"] if dark else []),
            page.resolve().as_uri(),
        ]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)
    if not png.is_file() or png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"docs_screenshots: Chromium wrote no PNG for {page}")


def take_all(build: Path, out: Path) -> list[Path]:
    """Screenshot every page of :data:`PAGES` in both modes; return the PNG paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for label, page in PAGES.items():
        source = build / page
        if not source.is_file():
            raise SystemExit(f"docs_screenshots: {source} is missing; build the docs first")
        for mode in ("light", "dark"):
            png = out / f"{label}-{mode}.png"
            screenshot(source, png, dark=mode == "dark")
            written.append(png)
    return written


def main(argv: list[str]) -> int:
    build = Path(argv[0]) if argv else ROOT / "docs" / "_build" / "html"
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "_build" / "screenshots"
    for png in take_all(build, out):
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
