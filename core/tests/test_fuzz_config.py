"""Property-based tests (hypothesis) of the config parser (``cherrypy.kernel.reprconf``).

``unrepr`` turns a config value's text into a Python object or raises ``ValueError`` naming
the text (``docs/config.md``); ``Parser`` reads INI text into ``{section: {key: value}}`` or
raises a ``configparser.Error`` for a malformed file and a ``ValueError`` naming the file,
section and key for a malformed value.  These tests check that nothing else ever escapes, and
that generated values and whole files round-trip through ``repr`` and INI text.

Expression trees are generated only from a fixed pool of harmless names: ``unrepr`` calls
importable functions by design, so a generator must never be able to spell a destructive one.
Settings are fixed (``derandomize``, no example database): every run tries the same examples.
"""

from __future__ import annotations

import configparser
import io
import math
import string
from typing import Any

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cherrypy.kernel.reprconf import Config, Parser, unrepr

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- values

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=1e300),
    st.text(max_size=20),
    st.binary(max_size=20),
)
hashables = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8), st.binary(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(hashables, inner, max_size=4),
        st.sets(hashables, max_size=4),
        st.frozensets(hashables, max_size=4),
    ),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same type all the way down (``1 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


@PROPERTY
@given(value=values)
def test_unrepr_of_repr_round_trips(value: Any) -> None:
    """Every literal value (containers nested) comes back from its ``repr``."""
    text = repr(value)
    if text == "":  # unrepr returns an empty value unchanged
        return
    assert same(unrepr(text), value), text


# A grammar of expressions over harmless names, to reach every branch of the evaluator.
SAFE_NAMES = [
    "int",
    "str",
    "dict",
    "tuple",
    "frozenset",
    "os.sep",
    "os.path.join",
    "sys.maxsize",
    "logging.DEBUG",
    "string.ascii_letters",
    "cherrypy.lib.httputil.response_codes",
    "no.such.module",
    "os.no_such_attribute",
    "True",
    "None",
]
REFUSED_NAMES = [
    "eval",
    "exec",
    "compile",
    "open",
    "getattr",
    "globals",
    "__import__",
    "os.system",
    "os.popen",
    "subprocess.call",
    "pickle.loads",
    "__builtins__",
    "().__class__",
]
atoms = st.one_of(
    st.integers(-(2**70), 2**70).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=6).map(repr),
    st.binary(max_size=6).map(repr),
    st.sampled_from(SAFE_NAMES),
    st.sampled_from(["2 ** 2000", "10 ** 400", "1 / 0", "1 % 0", "'-' * 3", "[1] * 2"]),
)
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "<", "and", "if", "|", "@"]


def compose(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Expressions built from ``inner`` ones."""
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["-", "+", "~", "not "]), inner).map("".join),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(inner, max_size=3).map(lambda xs: "(" + ", ".join(xs) + ",)"),
        st.lists(st.tuples(inner, inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        ),
        st.tuples(st.sampled_from(SAFE_NAMES), st.lists(inner, max_size=2)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        st.tuples(st.sampled_from(SAFE_NAMES), inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["real", "upper", "__class__"])).map(
            lambda t: f"{t[0]}.{t[1]}"
        ),
        inner.map(lambda x: f"dict(a={x}, **{{'b': 1}})"),
        inner.map(lambda x: f"lambda: {x}"),
        inner.map(lambda x: f"[y for y in {x}]"),
        inner.map(lambda x: f"f'{{{x}}}'"),
    )


expressions = st.recursive(atoms, compose, max_leaves=10)


@PROPERTY
@given(text=expressions)
def test_unrepr_of_expressions_returns_or_raises_value_error(text: str) -> None:
    """Generated expressions evaluate or raise ValueError naming the text, nothing else."""
    try:
        unrepr(text)
    except ValueError as exc:
        assert "invalid literal" in str(exc) or "not of the form" in str(exc), exc


@PROPERTY
@given(
    name=st.sampled_from(REFUSED_NAMES),
    call=st.sampled_from(["{}", "{}('true')", "{}.__call__", "x = {}", "{}()", "[{}]"]),
)
def test_unrepr_refuses_code_running_names(name: str, call: str) -> None:
    """Code-running callables and modules are refused, however they are spelled."""
    with pytest.raises(ValueError):
        unrepr(call.format(name))


@PROPERTY
@given(text=st.text(max_size=60))
def test_unrepr_of_any_text_returns_or_raises_value_error(text: str) -> None:
    """Arbitrary text evaluates (it was a literal) or raises ValueError."""
    if any(name in text for name in ("(", ".")):
        text = text.replace("(", "[").replace(".", ",")  # no calls, no dotted names
    try:
        unrepr(text)
    except ValueError:
        pass


@PROPERTY
@given(depth=st.integers(1, 3000), opener=st.sampled_from(["[", "(", "{", "-", "not "]))
def test_deep_nesting_is_a_value_error(depth: int, opener: str) -> None:
    """Deeply nested values are refused with ValueError, not RecursionError or a crash."""
    closer = {"[": "]", "(": ",)", "{": "}", "-": "", "not ": ""}[opener]
    inner = "1" if opener != "{" else "1: 1"
    text = opener * depth + inner + closer * depth
    if opener == "{":
        text = "{1: " * depth + "1" + "}" * depth
    try:
        unrepr(text)
    except ValueError:
        pass


# --------------------------------------------------------------------------- INI files

SECTION_CHARS = string.ascii_letters + string.digits + "/_-.~ "
KEY_CHARS = string.ascii_letters + string.digits + "._-"
section_name = (
    st.text(alphabet=SECTION_CHARS, min_size=1, max_size=12)
    .map(str.strip)
    .filter(lambda name: name and name != "DEFAULT")
)
key_name = st.text(alphabet=KEY_CHARS, min_size=1, max_size=12)
config_values = values.filter(lambda value: repr(value) != "")
files = st.dictionaries(
    section_name, st.dictionaries(key_name, config_values, min_size=1, max_size=5), max_size=4
)


def ini_text(config: dict[str, dict[str, Any]], separator: str) -> str:
    """INI text for ``config``: each value written as its ``repr`` (``%`` doubled)."""
    lines = []
    for section, entries in config.items():
        lines.append(f"[{section}]")
        for key, value in entries.items():
            lines.append(f"{key}{separator}{repr(value).replace('%', '%%')}")
        lines.append("")
    return "\n".join(lines)


@settings(PROPERTY, max_examples=100)
@given(config=files, separator=st.sampled_from([" = ", "=", ": ", ":"]))
def test_ini_files_round_trip(config: dict[str, dict[str, Any]], separator: str) -> None:
    """A generated INI file reads back as the same ``{section: {key: value}}``."""
    # Section names differing only in surrounding spaces are the same section.
    parsed = Parser().dict_from_file(io.StringIO(ini_text(config, separator)))
    assert parsed.keys() == config.keys()
    for section, entries in config.items():
        assert parsed[section].keys() == entries.keys()
        for key, value in entries.items():
            assert same(parsed[section][key], value), (section, key, value)


@settings(PROPERTY, max_examples=100)
@given(config=files)
def test_config_update_from_file_matches_parser(config: dict[str, dict[str, Any]]) -> None:
    """``Config.update`` with an open file stores what ``Parser`` reads."""
    text = ini_text(config, " = ")
    conf = Config()
    conf.update(io.StringIO(text))
    assert conf.keys() == config.keys()
    for section, entries in config.items():
        assert conf[section].keys() == entries.keys()
        assert all(same(conf[section][key], value) for key, value in entries.items())


ini_lines = st.one_of(
    st.sampled_from(
        [
            "[global]",
            "[/]",
            "[DEFAULT]",
            "[",
            "]",
            "key = 1",
            "key: 'text'",
            "key = %(other)s",
            "key = %(key)s",
            "other = 2",
            "key",
            "=",
            " continued",
            "\tcontinued",
            "; comment",
            "# comment",
            "key = lambda: 1",
            "key = os.system('true')",
            "key = [1, 2",
            "key = 100%",
            "",
        ]
    ),
    st.text(max_size=30).map(lambda text: text.replace("\n", " ").replace("\r", " ")),
)


@PROPERTY
@given(lines=st.lists(ini_lines, max_size=12))
def test_any_ini_text_parses_or_raises_a_config_error(lines: list[str]) -> None:
    """Arbitrary INI text: a dict, a ``configparser.Error``, or a ``ValueError`` naming the key."""
    try:
        result = Parser().dict_from_file(io.StringIO("\n".join(lines)))
    except configparser.Error:
        return
    except ValueError as exc:
        assert str(exc).startswith("Config error in "), exc
        return
    assert isinstance(result, dict)
    assert all(isinstance(section, dict) for section in result.values())
