"""Tests for cherrypy.kernel.reprconf: unrepr, Parser, NamespaceSet and Config."""

from __future__ import annotations

import collections
import datetime
import io
import os
import pathlib
import sys

import pytest

from cherrypy.kernel import reprconf
from cherrypy.kernel.reprconf import Config, NamespaceSet, Parser, unrepr

# ---------------------------------------------------------------- unrepr: allowed forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("-1234", -1234),
        ("+5", 5),
        ("2.5", 2.5),
        ("-2.5e3", -2500.0),
        ("3+2j", 3 + 2j),
        ("-3-2j", -3 - 2j),
        ("'text'", "text"),
        ('"double"', "double"),
        ("b'raw'", b"raw"),
        ("'a' + 'b' + \"c\"", "abc"),
        ("b'a' + b'b'", b"ab"),
        ("True", True),
        ("False", False),
        ("None", None),
        ("[1, 'two', 3.0]", [1, "two", 3.0]),
        ("(1,)", (1,)),
        ("()", ()),
        ("{'a': [1, {'b': (2, 3)}]}", {"a": [1, {"b": (2, 3)}]}),
        ("{1, 2, 2}", {1, 2}),
        ("[\n 1,\n 2\n]", [1, 2]),
        ("  42  ", 42),
        ("set([1, 2])", {1, 2}),
        ("frozenset(['x'])", frozenset({"x"})),
        ("dict(a=1, b='two')", {"a": 1, "b": "two"}),
        ("float('inf')", float("inf")),
        ("os.path.join('a', 'b')", os.path.join("a", "b")),
        ("os.path.join(sys.prefix, 'hello.py')", os.path.join(sys.prefix, "hello.py")),
        ("collections.OrderedDict(a=1)", collections.OrderedDict(a=1)),
        ("datetime.timedelta(seconds=-5)", datetime.timedelta(seconds=-5)),
        ("6*3", 18),
        ("1 + 2 - 4", -1),
        ("60 * 60 * 24", 86400),
        ("100 * 1024 * 1024", 104857600),
        ("2 ** 20", 1048576),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("7 % 3", 1),
        ("-(2 ** 3)", -8),
        ("1.5 * 2", 3.0),
        ("2 ** 1023", 2**1023),
        ("dict(**{'foo': 'bar'})", {"foo": "bar"}),
        ("dict([('a', 1)], b=2, **{'c': 3})", {"a": 1, "b": 2, "c": 3}),
    ],
)
def test_unrepr_allowed_forms(text: str, expected: object) -> None:
    result = unrepr(text)
    assert result == expected
    assert type(result) is type(expected)


def test_unrepr_dotted_names_resolve_to_the_objects() -> None:
    assert unrepr("os.path.join") is os.path.join
    assert unrepr("sys.stdout") is sys.stdout
    assert unrepr("os") is os
    assert unrepr("os.path") is os.path
    assert unrepr("[os.sep, sys.maxsize]") == [os.sep, sys.maxsize]


def test_unrepr_calls_nested_in_arguments() -> None:
    assert unrepr("os.path.join(os.getcwd(), 'static')") == os.path.join(os.getcwd(), "static")


def test_unrepr_call_keyword_written_out_wins_over_the_unpacked_mapping() -> None:
    # CherryPy's config reader lets an explicit keyword override the same key of a
    # ``**mapping`` (plain Python would raise TypeError for the duplicate).
    assert unrepr("dict(foo='buzz', **{'foo': 'bar', 'x': 1})") == {"foo": "buzz", "x": 1}


def test_unrepr_unpacks_a_mapping_named_by_a_dotted_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reprconf, "SAMPLE_SETTINGS", {"a": 1, "b": 2}, raising=False)
    assert unrepr("dict(a=0, **cherrypy.kernel.reprconf.SAMPLE_SETTINGS)") == {"a": 0, "b": 2}


def test_unrepr_import_idiom_reads_an_attribute_of_the_named_module() -> None:
    value = unrepr("__import__('os.path', globals(), locals(), ['']).join")
    assert value is os.path.join
    assert unrepr("__import__('os.path', None, {}, ['join'], 0)") is os.path
    # Without a fromlist, __import__ returns the top-level package, as Python's does.
    assert unrepr("__import__('os.path')") is os
    assert unrepr("__import__('collections').abc.Mapping") is collections.abc.Mapping


def test_unrepr_import_idiom_never_calls_globals_or_locals(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def boom() -> None:
        raise AssertionError("called")

    monkeypatch.setattr(builtins, "globals", boom)
    monkeypatch.setattr(builtins, "locals", boom)
    assert unrepr("__import__('os', globals(), locals(), ['sep']).sep") == os.sep


def test_unrepr_refuses_big_integer_arithmetic_before_computing_it() -> None:
    limit = reprconf.MAX_UNREPR_INT_BITS
    assert unrepr(f"2 ** {limit - 1}") == 2 ** (limit - 1)
    with pytest.raises(ValueError, match="bits"):
        unrepr(f"2 ** {limit}")
    with pytest.raises(ValueError, match="bits"):
        unrepr("10 ** 10 ** 10")


def test_unrepr_empty_value_is_returned_unchanged() -> None:
    assert unrepr("") == ""


@pytest.fixture
def fixture_package(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package whose submodule is not imported by the package itself."""
    name = "reprconf_fixture_pkg"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "dispatch.py").write_text(
        "class MethodDispatcher:\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        self.args = args\n"
        "        self.kwargs = kwargs\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_unrepr_imports_submodules_on_demand(fixture_package: str) -> None:
    dispatcher = unrepr(f"{fixture_package}.dispatch.MethodDispatcher()")
    assert type(dispatcher).__name__ == "MethodDispatcher"
    assert type(dispatcher).__module__ == f"{fixture_package}.dispatch"
    configured = unrepr(f"{fixture_package}.dispatch.MethodDispatcher('x', heads=[1, 2])")
    assert configured.args == ("x",)
    assert configured.kwargs == {"heads": [1, 2]}


def test_unrepr_call_failure_is_a_value_error_naming_the_text() -> None:
    with pytest.raises(ValueError, match=r"int\('x'\)") as info:
        unrepr("int('x')")
    assert isinstance(info.value.__cause__, ValueError)


# ---------------------------------------------------------------- unrepr: refused forms


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('x')",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "os.__dict__",
        "lambda: 1",
        "f'{1}'",
        "f'{os.system(1)}'",
        "[x for x in 'ab']",
        "{x: 1 for x in 'ab'}",
        "(x for x in 'ab')",
        "cherrypy_missing_module_xyz.thing",
        "Ture",
        "os.getcwd().upper()",
        "'abc'.upper()",
        "os.path.join('a')[0]",
        "[1, 2][0]",
        "2 ** 100000",
        "'a' + 1",
        "'a' * 3",
        "not True",
        "~1",
        "-'a'",
        "1 if True else 2",
        "1 < 2",
        "True and False",
        "(x := 1)",
        "...",
        "[*'ab']",
        "{**{'a': 1}}",
        "dict(**[('a', 1)])",
        "dict(**{1: 2})",
        "2 ** 100000",
        "10 ** 400 * 10 ** 400",
        "set(range(2 ** 40))",
        "list(range(10 ** 9))",
        "tuple(range(1_000_001))",
        "bytes(10 ** 10)",
        "dict.fromkeys(range(10 ** 9))",
        "10.0 ** 400",
        "1 / 0",
        "(1+2j) % 2",
        "True + 1",
        "'-' * 3",
        "'%s' % 1",
        "__import__",
        "__import__('subprocess')",
        "__import__('os').system",
        "__import__('builtins').eval",
        "__import__('builtins').__import__('os')",
        "__import__('os', eval('1'))",
        "__import__('os', globals(), locals(), ['path'], 1)",
        "__import__('.relative')",
        "__import__(name='os')",
        "__import__('os').getcwd().upper",
        "__import__('cherrypy_missing_module_xyz')",
        "globals()",
        "locals()",
        "eval('1')",
        "exec('x = 1')",
        "open('/etc/passwd')",
        "getattr(os, 'system')",
        "builtins.eval('1')",
        "builtins.__import__('os')",
        "os.system('true')",
        "os.popen('true')",
        "subprocess.run(['true'])",
        "pickle.loads(b'')",
        "importlib.import_module('os')",
        "{[1]: 2}",
        "{[1]}",
        "1 +",
        "a b",
        "x = 1",
    ],
)
def test_unrepr_refuses_with_value_error_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError) as info:
        unrepr(text)
    assert repr(text)[:60].rstrip("'") in str(info.value)


def test_unrepr_refuses_huge_nested_input() -> None:
    for text in ["[" * 100_000 + "]" * 100_000, "-" * 100_000 + "1", "(" * 5000 + ")" * 5000]:
        with pytest.raises(ValueError, match="invalid literal"):
            unrepr(text)


def test_unrepr_refuses_nesting_past_the_depth_limit() -> None:
    depth = reprconf.MAX_UNREPR_DEPTH
    assert unrepr("[" * (depth - 1) + "]" * (depth - 1)) is not None
    with pytest.raises(ValueError, match="nested deeper"):
        unrepr("[" * (depth + 5) + "]" * (depth + 5))


def test_unrepr_refuses_overlong_text_with_a_short_message() -> None:
    text = "'" + "a" * (reprconf.MAX_UNREPR_LENGTH + 1) + "'"
    with pytest.raises(ValueError, match="longer than") as info:
        unrepr(text)
    assert len(str(info.value)) < 400


def test_modules_and_attributes() -> None:
    assert reprconf.modules("os.path") is os.path
    assert reprconf.attributes("os.path.join") is os.path.join
    with pytest.raises(AttributeError, match="no_such_name"):
        reprconf.attributes("os.path.no_such_name")
    with pytest.raises(ImportError):
        reprconf.modules("cherrypy_missing_module_xyz")
    with pytest.raises(ValueError):
        reprconf.attributes("nodots")


# ---------------------------------------------------------------- Parser


def write(path: pathlib.Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_parser_reads_sections_with_case_default_and_interpolation(
    tmp_path: pathlib.Path,
) -> None:
    filename = write(
        tmp_path / "app.conf",
        "[DEFAULT]\n"
        "root = '/srv'\n"
        "ones = '11'\n"
        "[global]\n"
        "server.socket_port = 8080\n"
        "Log.Screen = False\n"
        "[/]\n"
        "tools.staticdir.Dir = %(root)s + '/static'\n"
        "stradd = %(ones)s + '22'\n"
        "empty =\n",
    )
    result = Parser.load(filename)
    assert set(result) == {"global", "/"}
    assert result["global"] == {
        "root": "/srv",
        "ones": "11",
        "server.socket_port": 8080,
        "Log.Screen": False,
    }
    assert result["/"]["tools.staticdir.Dir"] == "/srv/static"
    assert result["/"]["stradd"] == "1122"
    assert result["/"]["empty"] == ""


def test_parser_as_dict_raw_and_vars(tmp_path: pathlib.Path) -> None:
    parser = Parser()
    parser.read(write(tmp_path / "a.conf", "[s]\nx = %(y)s\ny = 1\n"))
    assert parser.as_dict() == {"s": {"x": 1, "y": 1}}
    assert parser.as_dict(vars={"y": "2"}) == {"s": {"x": 2, "y": 2}}
    with pytest.raises(ValueError, match="%"):
        parser.as_dict(raw=True)


def test_parser_load_accepts_file_objects_and_paths(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "f.conf"
    write(path, "[/]\nkey = [1, 2]\n")
    assert Parser.load(path) == {"/": {"key": [1, 2]}}
    with open(path, encoding="utf-8") as fp:
        assert Parser.load(fp) == {"/": {"key": [1, 2]}}
    assert Parser.load(io.StringIO("[x]\ny = 'z'\n")) == {"x": {"y": "z"}}


def test_parser_load_copies_dicts() -> None:
    original = {"a.b": 1}
    loaded = Parser.load(original)
    assert loaded == original
    assert loaded is not original
    with pytest.raises(TypeError, match="int"):
        Parser.load(42)


def test_parser_error_names_file_section_key_and_value(tmp_path: pathlib.Path) -> None:
    filename = write(tmp_path / "app.conf", "[/]\ntools.x.on = Ture\n")
    with pytest.raises(ValueError) as info:
        Parser.load(filename)
    message = str(info.value)
    assert message.startswith(
        f"Config error in {filename!r}, section [/], key 'tools.x.on': invalid literal 'Ture'"
    )


def test_parser_error_names_the_file_object_name() -> None:
    stream = io.StringIO("[global]\nport = 80 80\n")
    stream.name = "site.conf"
    with pytest.raises(ValueError, match=r"'site.conf', section \[global\], key 'port'"):
        Parser.load(stream)


def test_parser_error_names_the_file_that_set_the_key(tmp_path: pathlib.Path) -> None:
    first = write(tmp_path / "first.conf", "[s]\ngood = 1\nbad = 1\n")
    second = write(tmp_path / "second.conf", "[s]\nbad = oops!\n")
    parser = Parser()
    assert parser.read([first, second]) == [first, second]
    with pytest.raises(ValueError, match=r"second\.conf'.*key 'bad'"):
        parser.as_dict()


def test_parser_interpolation_error_names_the_file(tmp_path: pathlib.Path) -> None:
    filename = write(tmp_path / "i.conf", "[s]\nx = %(missing)s\n")
    with pytest.raises(ValueError, match=r"i\.conf', section \[s\], key 'x'"):
        Parser.load(filename)


def test_parser_missing_file_is_an_error_naming_it(tmp_path: pathlib.Path) -> None:
    missing = str(tmp_path / "nope.conf")
    with pytest.raises(FileNotFoundError) as info:
        Parser.load(missing)
    assert info.value.filename == missing
    assert "nope.conf" in str(info.value)


# ---------------------------------------------------------------- NamespaceSet


class RecordingContext:
    """A context-manager namespace handler that records what happens to it."""

    def __init__(self, swallow: bool = False) -> None:
        self.events: list[tuple] = []
        self.swallow = swallow

    def __enter__(self):
        self.events.append(("enter",))
        return self.apply

    def apply(self, key: str, value: object) -> None:
        if value == "boom":
            raise RuntimeError("boom")
        self.events.append(("set", key, value))

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.events.append(("exit", exc_type))
        return self.swallow


def test_namespace_set_calls_plain_handlers_with_namespace_stripped() -> None:
    seen: list[tuple[str, object]] = []
    namespaces = NamespaceSet(server=lambda k, v: seen.append((k, v)))
    namespaces({"server.socket_port": 80, "server.ssl.cert": "c", "other.x": 1, "nodot": 2})
    assert seen == [("socket_port", 80), ("ssl.cert", "c")]


def test_namespace_set_uses_context_manager_handlers() -> None:
    handler = RecordingContext()
    namespaces = NamespaceSet(tools=handler)
    namespaces({"tools.gzip.on": True, "tools.gzip.level": 5})
    assert handler.events == [
        ("enter",),
        ("set", "gzip.on", True),
        ("set", "gzip.level", 5),
        ("exit", None),
    ]
    handler.events.clear()
    namespaces({"unrelated.key": 1})
    assert handler.events == [("enter",), ("exit", None)]


def test_namespace_set_passes_errors_to_exit_and_reraises() -> None:
    handler = RecordingContext()
    namespaces = NamespaceSet(tools=handler)
    with pytest.raises(RuntimeError, match="boom"):
        namespaces({"tools.a": 1, "tools.b": "boom", "tools.c": 3})
    assert handler.events == [("enter",), ("set", "a", 1), ("exit", RuntimeError)]


def test_namespace_set_exit_may_swallow_errors() -> None:
    handler = RecordingContext(swallow=True)
    NamespaceSet(tools=handler)({"tools.b": "boom"})
    assert handler.events == [("enter",), ("exit", RuntimeError)]


def test_namespace_set_copy_and_repr() -> None:
    class Custom(NamespaceSet):
        pass

    def handler(k: str, v: object) -> None:
        pass

    original = Custom(a=handler)
    duplicate = original.copy()
    assert type(duplicate) is Custom
    assert duplicate == original
    duplicate["b"] = handler
    assert "b" not in original
    assert repr(NamespaceSet()) == "cherrypy.kernel.reprconf.NamespaceSet({})"


# ---------------------------------------------------------------- Config


def make_config_class(seen: list) -> type[Config]:
    class AppConfig(Config):
        defaults = {"request.show_tracebacks": True}
        environments = {"quiet": {"log.screen": False, "request.show_tracebacks": False}}
        namespaces = NamespaceSet(
            log=lambda k, v: seen.append(("log", k, v)),
            request=lambda k, v: seen.append(("request", k, v)),
        )

    return AppConfig


def test_config_starts_from_defaults_and_updates_from_dict() -> None:
    seen: list = []
    conf = make_config_class(seen)()
    assert conf == {"request.show_tracebacks": True}
    assert seen == []
    update = {"log.screen": True}
    conf.update(update)
    assert conf["log.screen"] is True
    assert seen == [("log", "screen", True)]
    conf.reset()
    assert conf == {"request.show_tracebacks": True}


def test_config_init_from_file_and_kwargs(tmp_path: pathlib.Path) -> None:
    seen: list = []
    filename = write(tmp_path / "c.conf", "[ignored]\nx = 1\n")
    conf = make_config_class(seen)(filename, **{"log.level": 10})
    assert conf["ignored"] == {"x": 1}
    assert conf["log.level"] == 10
    with open(filename, encoding="utf-8") as fp:
        assert make_config_class(seen)(fp)["ignored"] == {"x": 1}


def test_config_environment_fills_only_missing_keys() -> None:
    seen: list = []
    conf = make_config_class(seen)()
    update = {"environment": "quiet", "log.screen": True}
    conf.update(update)
    assert update == {"environment": "quiet", "log.screen": True}
    assert conf["log.screen"] is True
    assert conf["request.show_tracebacks"] is False
    assert ("request", "show_tracebacks", False) in seen
    with pytest.raises(ValueError, match=r"'loud'.*quiet"):
        conf.update({"environment": "loud"})


def test_config_setitem_runs_the_namespace_for_that_key() -> None:
    seen: list = []
    conf = make_config_class(seen)()
    conf["log.access_file"] = "a.log"
    conf["nonamespace"] = 1
    assert seen == [("log", "access_file", "a.log")]
    assert conf["nonamespace"] == 1


def test_config_file_with_the_expressions_cherrypy_configs_use() -> None:
    text = (
        "[/]\n"
        "neg: -1234\n"
        'filename: os.path.join(sys.prefix, "hello.py")\n'
        "codes: cherrypy.lib.httputil.response_codes[404]\n"
        "thing2: __import__('cherrypy.tutorial', globals(), locals(), ['']).thing2\n"
        "complex: 3+2j\n"
        "mul: 6*3\n"
        'ones: "11"\n'
        'twos: "22"\n'
        'stradd: %(ones)s + %(twos)s + "33"\n'
        "[my]\n"
        "value = dict(foo='buzz', **{'foo': 'bar', 'fizz': 'buzz'})\n"
        "timeout = 60 * 24\n"
    )
    import cherrypy.lib.httputil
    import cherrypy.tutorial

    conf = Parser.load(io.StringIO(text))
    assert conf["/"] == {
        "neg": -1234,
        "filename": os.path.join(sys.prefix, "hello.py"),
        "codes": cherrypy.lib.httputil.response_codes[404],
        "thing2": cherrypy.tutorial.thing2,
        "complex": 3 + 2j,
        "mul": 18,
        "ones": "11",
        "twos": "22",
        "stradd": "112233",
    }
    assert conf["my"] == {"value": {"foo": "buzz", "fizz": "buzz"}, "timeout": 1440}
