"""Large JSON documents are parsed with the garbage collector paused, and it runs again after."""

from __future__ import annotations

import gc
import threading

import pytest

from cherrypy_json import codec


def big_document() -> bytes:
    return b"[" + b",".join([b"[]"] * (codec.GC_PAUSE_MIN_SIZE // 3 + 1)) + b"]"


def test_collector_enabled_again_after_a_large_parse() -> None:
    assert gc.isenabled()
    assert len(codec._stdlib_loads(big_document())) > 80_000
    assert gc.isenabled()


def test_collector_left_disabled_when_it_was_disabled() -> None:
    gc.disable()
    try:
        codec._stdlib_loads(big_document())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collector_enabled_again_after_a_failed_parse() -> None:
    with pytest.raises(ValueError):
        codec._stdlib_loads(big_document() + b"x")
    assert gc.isenabled()


def test_concurrent_large_parses_restore_the_collector() -> None:
    errors: list[BaseException] = []
    document = big_document()

    def parse() -> None:
        try:
            for _ in range(3):
                codec._stdlib_loads(document)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert gc.isenabled()
    assert codec._gc_pausers == 0
