"""Coverage-guided fuzzing of the config parser (cherrypy.kernel.reprconf) with atheris.

The input's first byte chooses between a config value (``unrepr``) and a whole INI file
(``Parser``); the rest is the text (UTF-8, undecodable bytes replaced).  Allowed outcomes:
a value, ``ValueError`` (``unrepr``; ``Parser`` prefixes it with "Config error in"), or a
``configparser.Error`` for a malformed file.

``unrepr`` calls importable functions by design (config files are trusted input), so the
harness runs it in a sandbox: an audit hook refuses every event but parsing (no file, process,
network or sleep), an import of a module not yet loaded looks like a missing module, and the
address space is capped so that a value that allocates too much meets ``MemoryError``.
``SystemExit`` (``sys.exit(1)`` is a valid value) is taken as an outcome too.

Run it through nox (``nox -s fuzz``) or directly::

    python fuzz/fuzz_config.py -max_total_time=60 fuzz/corpus/config
"""

from __future__ import annotations

import configparser
import io
import resource
import sys
from typing import Any

import atheris

with atheris.instrument_imports():
    from cherrypy.kernel.reprconf import Parser, unrepr

# Modules config values commonly name, loaded before the sandbox closes imports.
# unicodedata: compiling a non-ASCII identifier imports it.
import logging  # noqa: F401
import os.path  # noqa: F401
import unicodedata  # noqa: F401

import cherrypy
import cherrypy.lib.httputil  # noqa: F401

ADDRESS_SPACE = 4 * 2**30
"""Bytes of address space the harness may use (a value allocating more gets MemoryError)."""

ALLOWED_EVENTS = frozenset(
    {"compile", "exec", "builtins.id", "object.__getattr__", "sys._getframe", "marshal.loads"}
)


class Sandboxed(Exception):
    """An audited operation that the sandbox refused."""


_sandboxed = False


def audit(event: str, args: tuple[Any, ...]) -> None:
    """Refuse side effects while a fuzz input is evaluated."""
    if not _sandboxed or event in ALLOWED_EVENTS:
        return
    if event == "import":
        raise ModuleNotFoundError(f"No module named {args[0]!r} (sandbox)", name=args[0])
    raise Sandboxed(event)


def test_one_input(data: bytes) -> None:
    """The fuzz target: a value or a file, as text."""
    global _sandboxed
    if not data:
        return
    text = data[1:].decode("utf-8", "replace")
    _sandboxed = True
    try:
        if data[0] & 1:
            try:
                unrepr(text)
            except ValueError as exc:
                assert "invalid literal" in str(exc) or not text.strip(), exc
        else:
            try:
                Parser().dict_from_file(io.StringIO(text))
            except configparser.Error:
                pass
            except ValueError as exc:
                assert str(exc).startswith("Config error in "), exc
    except (Sandboxed, SystemExit):
        pass
    finally:
        _sandboxed = False


def main() -> None:
    """Cap memory, install the sandbox and run the fuzzer with libFuzzer's options."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    sys.addaudithook(audit)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
