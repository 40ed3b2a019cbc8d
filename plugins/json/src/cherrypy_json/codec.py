"""The JSON codec behind ``tools.json_in`` and ``tools.json_out``.

The codec is a ``(dumps, loads)`` pair resolved once, on first use, through the
``cherrypy_json_codec`` hook: the first plugin that answers wins.  This distribution answers
last (``trylast``) with :func:`ujson_codec` when ujson is importable; when nothing answers,
:func:`stdlib_codec` (the standard library's :mod:`json`) is used.

Both codecs write what CherryPy 18 writes with the standard library's default encoder: ASCII
only (``ensure_ascii``), ``", "`` and ``": "`` separators, ``NaN``/``Infinity`` allowed and
slashes left alone.  The ujson codec falls back to the standard library for any object ujson
refuses, so a value that cannot be encoded raises the standard library's ``TypeError``.

Reading is always the standard library's strict parser: ujson's reader accepts text that is
not JSON (a lone ``-`` read as ``0``, ``01``, ``1.``, raw control characters inside strings),
and a request body must never be silently read as something its sender did not write.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from .hookspecs import JsonCodec

__all__ = ["dumps", "get_codec", "loads", "reset_codec", "stdlib_codec", "ujson_codec"]

Codec = JsonCodec

# The standard library's encoder and decoder, made on first use: json is imported then, not
# when the plugin is loaded at start-up.
_std: tuple[Callable[[Any], str], Callable[[str], Any]] | None = None


def _stdlib() -> tuple[Callable[[Any], str], Callable[[str], Any]]:
    global _std
    std = _std
    if std is None:
        import json

        std = _std = (json.JSONEncoder().encode, json.JSONDecoder().decode)
    return std


# ujson writes 1e-7 where the standard library (and so CherryPy) writes 1e-07.  The first
# alternative skips string literals, so only numbers are touched.
_SHORT_EXPONENT = r'"(?:[^"\\]|\\.)*"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?e-)([1-9])(?![0-9])'


def _pad_exponent(match: re.Match[str]) -> str:
    head = match.group(1)
    if head is None:
        return match.group(0)
    return head + "0" + match.group(2)


# A large document builds up to millions of containers, and the cyclic garbage collector would
# walk the young ones again and again while they are made (more than half of the parsing time
# for 16 MiB of ``[[],[],...]``).  Parsing cannot create garbage cycles, so the collector is
# paused while a document of at least this size is parsed.  The pause is shared: the collector
# runs again when the last concurrent large parse ends (if it was enabled before the first).
GC_PAUSE_MIN_SIZE = 256 * 1024

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


def _parse_with_gc_paused(decode: Callable[[str], Any], text: str) -> Any:
    import gc

    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        return decode(text)
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def _stdlib_loads(data: Any) -> Any:
    """Parse a JSON document given as str, or as bytes that must be UTF-8."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8")
    decode = _stdlib()[1]
    if len(data) >= GC_PAUSE_MIN_SIZE:
        return _parse_with_gc_paused(decode, data)
    return decode(data)


def stdlib_codec() -> Codec:
    """The standard library's codec, writing exactly what CherryPy 18 writes."""
    return _stdlib()[0], _stdlib_loads


def ujson_codec() -> Codec | None:
    """A codec writing with ujson in CherryPy's output format and reading with the standard
    library (strict JSON), or None when ujson is not importable."""
    try:
        import ujson
    except ImportError:
        return None
    udumps = ujson.dumps
    std_encode = _stdlib()[0]
    short_exponent = re.compile(_SHORT_EXPONENT)

    def dumps(value: Any) -> str:
        try:
            text: str = udumps(
                value, ensure_ascii=True, escape_forward_slashes=False, separators=(", ", ": ")
            )
        except (TypeError, ValueError, OverflowError):
            return std_encode(value)
        if "e-" in text:
            text = short_exponent.sub(_pad_exponent, text)
        return text

    dumps.__doc__ = "Encode ``value`` to JSON text with ujson (standard library on refusal)."
    return dumps, _stdlib_loads


_codec: Codec | None = None
_lock = threading.Lock()


def get_codec() -> Codec:
    """The ``(dumps, loads)`` pair in use, resolved through the plugins once."""
    codec = _codec
    if codec is None:
        codec = _resolve()
    return codec


def _resolve() -> Codec:
    global _codec
    with _lock:
        if _codec is None:
            _codec = _plugin_codec() or stdlib_codec()
        return _codec


def _plugin_codec() -> Codec | None:
    """The first ``(dumps, loads)`` a plugin offers through ``cherrypy_json_codec``, or None.

    None too when the hook is not there (the ``json`` plugin, which adds it, is not loaded).
    """
    from cherrypy.plugin import get_plugin_manager

    caller = getattr(get_plugin_manager().hook, "cherrypy_json_codec", None)
    if caller is None or not caller.has_spec():
        return None
    result: Codec | None = caller()
    return result


def reset_codec() -> None:
    """Forget the resolved codec so the next use asks the plugins again (for tests)."""
    global _codec
    with _lock:
        _codec = None


def dumps(value: Any) -> str:
    """Encode ``value`` to JSON text with the codec in use."""
    return get_codec()[0](value)


def loads(data: str | bytes) -> Any:
    """Parse a JSON document (text, or UTF-8 bytes) with the codec in use."""
    return get_codec()[1](data)
