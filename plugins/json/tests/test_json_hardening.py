"""tools.json_in's depth check is linear and runs before parsing (issue 20).

Documents at the depth limit parse, one level deeper gets 400, brackets inside strings do not
count, and adversarial shapes of several MiB are answered correctly.  Times are measured in
``bench/body_parsing.py``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy_json.json_in import _too_deep

MIB = 1024 * 1024


def depth(value: Any) -> int:
    """The nesting depth of a parsed value, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, level)
            stack.extend(
                (child, level + 1) for child in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


class Root:
    @cherrypy.expose
    @cherrypy.tools.json_in()
    def index(self) -> str:
        document = cherrypy.request.json
        return f"{type(document).__name__}:{len(document)}:{depth(document)}"


def post(base: str, data: bytes) -> requests.Response:
    return requests.post(
        base + "/", data=data, headers={"Content-Type": "application/json"}, timeout=60
    )


def random_document(rnd: random.Random, level: int = 0) -> Any:
    pieces = ["a", "[", "]", "{", "}", '"', "\\", '\\"', "\\\\", "]]", "[{"]
    roll = rnd.random()
    if level > 14 or roll < 0.3:
        return rnd.choice(
            [1, None, 2.5, "".join(rnd.choice(pieces) for _ in range(rnd.randrange(5)))]
        )
    if roll < 0.65:
        return [random_document(rnd, level + 1) for _ in range(rnd.randrange(4))]
    return {
        "".join(rnd.choice(pieces) for _ in range(rnd.randrange(3))): random_document(
            rnd, level + 1
        )
        for _ in range(rnd.randrange(4))
    }


def test_the_depth_check_agrees_with_the_parsed_document() -> None:
    rnd = random.Random(20)
    for _ in range(5000):
        value = random_document(rnd)
        data = json.dumps(value, ensure_ascii=rnd.random() < 0.5).encode()
        found = depth(value)
        for limit in (0, 1, 2, 3, 5, 9):
            assert _too_deep(data, limit) == (found > limit), (data, limit)


@pytest.mark.parametrize(
    "unit",
    [
        b"[" * 7 + b"]" * 7,  # towers: few leaves, many peaks
        b"[[[[[[[[[1]]]]]]]]]",
        b"[[],[[]],[[[]]]]",
        b'[{"a":[{"b":[1,"]]]"]}]}]',
        b"[]",
    ],
)
def test_the_depth_check_on_large_repetitive_shapes(unit: bytes) -> None:
    value = json.loads(unit)
    found = depth(value) + 1  # inside the outer array
    data = b"[" + b",".join([unit] * 20_000) + b"]"
    for limit in (found - 1, found, found + 1):
        assert _too_deep(data, limit) == (found > limit)


@pytest.mark.parametrize(
    "deep", [b"[" * (4 * MIB) + b"]" * (4 * MIB), b'{"a":' * MIB + b"1" + b"}" * MIB]
)
def test_megabytes_of_nesting_are_refused_before_parsing(
    serve_root: Callable[..., str], deep: bytes
) -> None:
    base = serve_root(Root())
    response = post(base, deep)
    assert response.status_code == 400
    assert "nested deeper than 100 levels" in response.text


def test_the_depth_limit_is_exact_and_strings_do_not_count(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    at_limit = b"[" * 99 + b'["[[[[\\"{{{{", "]]]]"]' + b"]" * 99
    assert post(base, at_limit).text == "list:1:100"
    assert post(base, b"[" + at_limit + b"]").status_code == 400


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        (b"[" + b",".join([b"[" * 99 + b"]" * 99] * 30_000) + b"]", "list:30000:100"),
        (b"[" + b",".join([b"[[[[[[[[[1]]]]]]]]]"] * 100_000) + b"]", "list:100000:10"),
        (b"[" + b",".join([b'"[{\\\\\\"\\""'] * 200_000) + b"]", "list:200000:1"),
    ],
    ids=["towers", "peaks", "bracket-strings"],
)
def test_adversarial_shapes_within_the_limit_parse(
    serve_root: Callable[..., str], data: bytes, answer: str
) -> None:
    base = serve_root(Root())
    response = post(base, data)
    assert response.status_code == 200
    assert response.text == answer
