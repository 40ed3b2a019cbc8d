"""The examples of ``docs/metrics.md`` and ``docs/observability.md`` run as written."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parents[3] / "docs"


def blocks(page: str, language: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def test_the_quickstart_example_counts_the_request_shown(tmp_path: Path) -> None:
    example = blocks("metrics.md", "python")[0]
    (tmp_path / "example.py").write_text(example)
    driver = tmp_path / "driver.py"
    driver.write_text(
        textwrap.dedent(
            f"""
            import runpy
            import time

            import requests

            import cherrypy
            from cherrypy.testing import serve


            def quickstart(root, script_name="", config=None):
                cherrypy.tree.mount(root, script_name, config)
                with serve() as base:
                    requests.get(base + "/shop/item/42")
                    for _ in range(100):  # the request ends just after its answer is sent
                        page = requests.get(base + "/metrics").text
                        if "cherrypy_requests_total{{" in page:
                            break
                        time.sleep(0.02)
                print(page)


            cherrypy.quickstart = quickstart
            cherrypy.config.update({{"log.screen": False}})
            runpy.run_path({str(tmp_path / "example.py")!r})
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(driver)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    shown = blocks("metrics.md", "console")[0].splitlines()[-1]
    counted = [
        line for line in done.stdout.splitlines() if line.startswith("cherrypy_requests_total")
    ]
    assert counted == [shown]


def test_the_other_python_examples_compile() -> None:
    for page in ("metrics.md", "observability.md"):
        for number, source in enumerate(blocks(page, "python")):
            if "def child_exit" in source or "cherrypy.config.update" in source:
                compile(textwrap.dedent(source), f"docs/{page} block {number}", "exec")
