"""Run one code example of ``docs/`` in this process; used by ``tests/test_docs_examples.py``.

``python docs_example_runner.py check EXAMPLE.py`` loads the example as
``python -m cherrypy check`` does (``quickstart`` only mounts, ``engine.start`` and
``engine.block`` do nothing), reports what the engine's start-up check would stop on and every
path whose pipeline fails to compile, then runs the config checker's key and namespace checks
with their warnings counted as problems: a misspelled or renamed key fails the example.

``python docs_example_runner.py serve EXAMPLE.py PORT`` runs the example as its reader does
(``python EXAMPLE.py``), except that ``cherrypy.quickstart`` listens on ``127.0.0.1:PORT``; the
test sends a request and stops the process with SIGTERM.

A ``_docs_prelude.py`` beside the example, when present, is run first in both modes (it
registers a plugin the page wrote earlier, for instance).
"""

from __future__ import annotations

import runpy
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

STARTED_LINE = "docs_example_runner: engine STARTED"


def _prelude(example: Path) -> None:
    prelude = example.parent / "_docs_prelude.py"
    if prelude.is_file():
        runpy.run_path(str(prelude), run_name="_docs_prelude")


def check(example: Path) -> int:
    """Load ``example`` without starting anything; print its problems; 1 if there are any."""
    import cherrypy
    from cherrypy.kernel.cli_check import check_command

    _prelude(example)
    status = check_command([str(example)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cherrypy.checker.check_config_namespaces()
        cherrypy.checker.check_config_keys()
    for warning in caught:
        print(f"config checker: {warning.message}")
    return 1 if status or caught else 0


def serve(example: Path, port: int) -> None:
    """Run ``example`` as ``__main__``, its ``quickstart`` listening on ``port``."""
    import cherrypy

    real_quickstart = cherrypy.quickstart

    def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
        cherrypy.config.update({"server.socket_host": "127.0.0.1", "server.socket_port": port})
        real_quickstart(root, script_name, config)

    def announce_started() -> None:
        # Printed whatever the example's log settings, so the test knows when to stop it.
        cherrypy.engine.wait(cherrypy.engine.states.STARTED)
        print(STARTED_LINE, flush=True)

    cherrypy.quickstart = quickstart
    threading.Thread(target=announce_started, daemon=True).start()
    _prelude(example)
    runpy.run_path(str(example), run_name="__main__")


def main(argv: list[str]) -> int:
    mode, example = argv[0], Path(argv[1]).resolve()
    sys.path.insert(0, str(example.parent))
    if mode == "check":
        return check(example)
    serve(example, int(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
