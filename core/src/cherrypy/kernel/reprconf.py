"""INI configuration whose values are Python literals, and the config dicts built on it.

This is the kernel's counterpart of CherryPy's ``cherrypy.lib.reprconf``:

* :func:`unrepr` turns the text of a config value into a Python object. It walks the syntax
  tree itself and never calls ``eval``: only literals, containers, arithmetic on numbers,
  string concatenation, importable dotted names, literal subscripts of them and calls of such
  names (``**mapping`` included) are accepted, plus the ``__import__('pkg.mod', ...).name``
  idiom, which imports a module and reads an attribute.
* :class:`Parser` reads INI files (case-sensitive keys, ``[DEFAULT]`` and ``%(name)s``
  interpolation) into ``{section: {key: value}}`` and names file, section and key on errors.
* :class:`NamespaceSet` dispatches ``namespace.rest`` keys to per-namespace handlers.
* :class:`Config` is a dict with defaults, named environments and namespace handlers.
"""

from __future__ import annotations

import ast
import builtins
import configparser
import importlib
import operator
import os
import threading
import types
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from .compat import MissingPluginAttributeError, MissingPluginError

__all__ = ["BatchNamespace", "Config", "NamespaceSet", "Parser", "attributes", "modules", "unrepr"]

#: Longest value text :func:`unrepr` accepts.
MAX_UNREPR_LENGTH = 1_000_000
#: Deepest nesting of containers and calls :func:`unrepr` accepts.
MAX_UNREPR_DEPTH = 100
#: Largest integer (in bits) that arithmetic in a config value may produce.
MAX_UNREPR_INT_BITS = 1024

#: Most items a call in a config value may be asked to materialize: a ``range`` argument
#: longer than this (``list(range(10**9))``) or ``bytes(n)`` beyond it is refused before the
#: call runs.
MAX_UNREPR_ITEMS = 1_000_000

# Builtins a bare name may refer to: constructors of plain data, nothing that reaches code.
# fmt: off
_SAFE_BUILTINS = frozenset({
    "bool", "bytes", "complex", "dict", "float", "frozenset", "int", "list", "range", "set",
    "str", "tuple",
})

# Callables that evaluate code, spawn processes or unpickle, refused whatever name reaches them.
_FORBIDDEN_BUILTINS = (
    "__import__", "breakpoint", "compile", "delattr", "eval", "exec", "exit", "getattr",
    "globals", "input", "locals", "open", "quit", "setattr", "vars",
)
_FORBIDDEN_OS_PREFIXES = ("system", "popen", "exec", "spawn", "posix_spawn", "fork", "kill")
_FORBIDDEN_MODULES = frozenset({
    "_pickle", "code", "ctypes", "importlib", "marshal", "pickle", "pty", "runpy", "shelve",
    "subprocess",
})
# fmt: on
_forbidden_ids: frozenset[int] | None = None


def _forbidden_object_ids() -> frozenset[int]:
    global _forbidden_ids
    if _forbidden_ids is None:
        objs = [getattr(builtins, n) for n in _FORBIDDEN_BUILTINS if hasattr(builtins, n)]
        objs += [getattr(os, n) for n in dir(os) if n.startswith(_FORBIDDEN_OS_PREFIXES)]
        _forbidden_ids = frozenset(id(o) for o in objs)
    return _forbidden_ids


def _is_forbidden(obj: Any) -> bool:
    if id(obj) in _forbidden_object_ids():
        return True
    if isinstance(obj, types.ModuleType):
        name = obj.__name__
    else:
        name = getattr(obj, "__module__", None) or ""
    return isinstance(name, str) and name.split(".", 1)[0] in _FORBIDDEN_MODULES


class _Refused(Exception):
    """Internal: the expression uses a form :func:`unrepr` does not evaluate."""


def _describe(node: ast.AST) -> str:
    text = ast.unparse(node)
    if len(text) > 80:
        text = text[:77] + "..."
    return text


class _Evaluator:
    """Build a Python object from an expression tree, accepting only the allowed forms."""

    def __init__(self) -> None:
        self.depth = 0

    def build(self, node: ast.AST) -> Any:
        self.depth += 1
        if self.depth > MAX_UNREPR_DEPTH:
            raise _Refused(f"nested deeper than {MAX_UNREPR_DEPTH} levels")
        try:
            method = getattr(self, "build_" + type(node).__name__, None)
            if method is None:
                raise _Refused(f"{type(node).__name__} is not allowed ({_describe(node)})")
            return method(node)
        finally:
            self.depth -= 1

    def build_Expression(self, node: ast.Expression) -> Any:
        return self.build(node.body)

    def build_Constant(self, node: ast.Constant) -> Any:
        if node.value is Ellipsis:
            raise _Refused("Ellipsis is not allowed")
        return node.value

    def _elements(self, elts: list[ast.expr]) -> list[Any]:
        for elt in elts:
            if isinstance(elt, ast.Starred):
                raise _Refused(f"unpacking is not allowed ({_describe(elt)})")
        return [self.build(elt) for elt in elts]

    def build_List(self, node: ast.List) -> list[Any]:
        return self._elements(node.elts)

    def build_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self._elements(node.elts))

    def build_Set(self, node: ast.Set) -> set[Any]:
        try:
            return set(self._elements(node.elts))
        except TypeError as exc:
            raise _Refused(str(exc)) from exc

    def build_Dict(self, node: ast.Dict) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise _Refused(f"unpacking is not allowed (**{_describe(value)})")
            built_key = self.build(key)
            try:
                result[built_key] = self.build(value)
            except TypeError as exc:
                raise _Refused(str(exc)) from exc
        return result

    def build_UnaryOp(self, node: ast.UnaryOp) -> Any:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _Refused(f"operator {type(node.op).__name__} is not allowed")
        operand = self.build(node.operand)
        if not isinstance(operand, (int, float, complex)):
            raise _Refused(f"unary {_describe(node)[:1]} applies to numbers only")
        return -operand if isinstance(node.op, ast.USub) else +operand

    def build_BinOp(self, node: ast.BinOp) -> Any:
        apply = _ARITHMETIC.get(type(node.op))
        if apply is None:
            raise _Refused(f"operator {type(node.op).__name__} is not allowed")
        left = self.build(node.left)
        right = self.build(node.right)
        if isinstance(node.op, ast.Add):
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            if isinstance(left, bytes) and isinstance(right, bytes):
                return left + right
        if not (_is_number(left) and _is_number(right)):
            raise _Refused(
                f"arithmetic applies to numbers only, and + also joins strings ({_describe(node)})"
            )
        _check_int_cost(node.op, left, right)
        try:
            result = apply(left, right)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise _Refused(f"{_describe(node)} failed: {exc!r}") from exc
        if isinstance(result, int) and result.bit_length() > MAX_UNREPR_INT_BITS:
            raise _Refused(f"{_describe(node)} is larger than {MAX_UNREPR_INT_BITS} bits")
        return result

    def build_Name(self, node: ast.Name) -> Any:
        return _resolve_dotted([node.id])

    def build_Attribute(self, node: ast.Attribute) -> Any:
        parts: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        if _is_import_call(current):
            return self._attribute_of_module(parts, current)
        if not isinstance(current, ast.Name):
            raise _Refused(f"attributes are allowed on dotted names only ({_describe(node)})")
        parts.append(current.id)
        return _resolve_dotted(parts[::-1])

    def _attribute_of_module(self, parts: list[str], base: ast.expr) -> Any:
        """``__import__(...).a.b``: attributes of the module an ``__import__`` call returned."""
        module = self.build(base)
        if not isinstance(module, types.ModuleType):
            raise _Refused(f"attributes are allowed on modules only ({_describe(base)})")
        return _resolve_from(module, module.__name__, parts[::-1])

    def build_Subscript(self, node: ast.Subscript) -> Any:
        """``dotted.name[literal]``: a literal key into an imported mapping or sequence."""
        if not isinstance(node.value, (ast.Name, ast.Attribute)):
            raise _Refused(f"only dotted names may be subscripted ({_describe(node)})")
        container = self.build(node.value)
        if not isinstance(container, (dict, list, tuple, str, bytes)):
            raise _Refused(f"{_describe(node.value)} is not a dict, list or tuple")
        key = self.build(node.slice)
        if not isinstance(key, (str, int, float, bytes, tuple, bool)) and key is not None:
            raise _Refused(f"subscript keys must be literals ({_describe(node)})")
        try:
            return container[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError) as exc:
            raise _Refused(f"{_describe(node)} failed: {exc!r}") from exc

    def build_Call(self, node: ast.Call) -> Any:
        if _is_import_call(node):
            return self._import(node)
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise _Refused(f"only dotted names may be called ({_describe(node)})")
        func = self.build(node.func)
        if not callable(func):
            raise _Refused(f"{_describe(node.func)} is not callable")
        args = self._elements(node.args)
        kwargs: dict[str, Any] = {}
        unpacked: list[ast.expr] = []
        for keyword in node.keywords:
            if keyword.arg is None:
                unpacked.append(keyword.value)
            else:
                kwargs[keyword.arg] = self.build(keyword.value)
        # As in CherryPy, a keyword written out wins over the same key in a ``**mapping``.
        for expr in unpacked:
            mapping = self.build(expr)
            if not isinstance(mapping, Mapping) or not all(isinstance(k, str) for k in mapping):
                raise _Refused(f"** needs a mapping with string keys ({_describe(expr)})")
            for key, value in mapping.items():
                kwargs.setdefault(key, value)
        _check_call_size(node, func, args, kwargs)
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            raise _Refused(f"calling {_describe(node.func)} failed: {exc!r}") from exc
        if _is_forbidden(result):
            raise _Refused(f"{_describe(node)} returned an object not allowed in config values")
        return result

    def _import(self, node: ast.Call) -> types.ModuleType:
        """``__import__(name[, globals, locals, fromlist[, level]])`` as an import statement.

        The name must be a string literal; ``globals()`` and ``locals()`` are accepted as
        placeholders and never called (an absolute import does not read them), ``fromlist``
        must be a literal list of strings and ``level`` 0.  Like ``__import__``, the result is
        the named module when ``fromlist`` is not empty, else its top-level package.
        """
        if node.keywords:
            raise _Refused(f"__import__ takes positional arguments only ({_describe(node)})")
        args = node.args
        if not 1 <= len(args) <= 5:
            raise _Refused(f"__import__ takes 1 to 5 arguments ({_describe(node)})")
        name = self.build(args[0])
        if not isinstance(name, str) or not name or name.startswith("."):
            raise _Refused(f"__import__ needs an absolute module name ({_describe(node)})")
        for placeholder in args[1:3]:
            if not _is_namespace_placeholder(placeholder):
                raise _Refused(
                    f"__import__ accepts only globals(), locals(), None or {{}} there "
                    f"({_describe(placeholder)})"
                )
        fromlist = self.build(args[3]) if len(args) > 3 else None
        if fromlist is not None and not (
            isinstance(fromlist, (list, tuple)) and all(isinstance(f, str) for f in fromlist)
        ):
            raise _Refused(f"__import__'s fromlist must list strings ({_describe(node)})")
        if len(args) > 4 and self.build(args[4]) != 0:
            raise _Refused(f"__import__ with a relative level is not allowed ({_describe(node)})")
        for part in name.split("."):
            if not part.isidentifier() or (part.startswith("__") and part.endswith("__")):
                raise _Refused(f"{name!r} is not an allowed module name")
        module = _import_or_none(name)
        if module is None:
            raise _Refused(f"no module named {name!r}")
        if fromlist:
            for attr in fromlist:
                if attr and attr.isidentifier() and not hasattr(module, attr):
                    _import_or_none(f"{name}.{attr}")
            return module
        return _import_or_none(name.split(".", 1)[0]) or module


_ARITHMETIC: dict[type[ast.operator], Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, complex)) and not isinstance(value, bool)


def _check_int_cost(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse, before computing it, an integer product or power past the size limit."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if isinstance(op, ast.Mult):
        bits = left.bit_length() + right.bit_length()
    elif isinstance(op, ast.Pow) and right > 0:
        bits = (left.bit_length() - 1) * right if abs(left) > 1 else 1
    else:
        return
    if bits > MAX_UNREPR_INT_BITS + 1:
        raise _Refused(f"the result would be larger than {MAX_UNREPR_INT_BITS} bits")


def _check_call_size(node: ast.Call, func: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Refuse, before the call, one that would build more than ``MAX_UNREPR_ITEMS`` items."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, range) and len(value) > MAX_UNREPR_ITEMS:
            raise _Refused(
                f"{_describe(node)} would iterate over more than {MAX_UNREPR_ITEMS} items"
            )
    size = args[0] if func in (bytes, bytearray) and args else None
    if isinstance(size, int) and size > MAX_UNREPR_ITEMS:
        raise _Refused(f"{_describe(node)} would build more than {MAX_UNREPR_ITEMS} bytes")


def _is_import_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "__import__"
    )


def _is_namespace_placeholder(node: ast.expr) -> bool:
    """``globals()``, ``locals()``, ``None`` or ``{}`` as an ``__import__`` argument."""
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Name)
            and node.func.id in ("globals", "locals")
            and not node.args
            and not node.keywords
        )
    if isinstance(node, ast.Constant):
        return node.value is None
    return isinstance(node, ast.Dict) and not node.keys


def _resolve_dotted(parts: list[str]) -> Any:
    """Resolve ``a.b.c`` by importing modules and reading attributes, refusing unsafe names."""
    head = parts[0]
    if head.startswith("__") and head.endswith("__"):
        raise _Refused(f"special name {head!r} is not allowed")
    obj: Any
    if head in _SAFE_BUILTINS:
        obj = getattr(builtins, head)
    else:
        obj = _import_or_none(head)
        if obj is None:
            raise _Refused(f"name {head!r} is neither an importable module nor an allowed builtin")
    return _resolve_from(obj, head, parts[1:])


def _resolve_from(obj: Any, path: str, parts: list[str]) -> Any:
    """Read the attributes ``parts`` from ``obj`` (named ``path``), importing submodules of
    modules on demand and refusing special names and unsafe objects."""
    for part in parts:
        if part.startswith("__") and part.endswith("__"):
            raise _Refused(f"special name {part!r} is not allowed")
    for part in parts:
        path = f"{path}.{part}"
        if isinstance(obj, types.ModuleType):
            try:
                obj = getattr(obj, part)
            except AttributeError as exc:
                submodule = _import_or_none(path)
                if submodule is None:
                    raise _unresolved(path, exc) from None
                obj = submodule
        else:
            try:
                obj = getattr(obj, part)
            except AttributeError as exc:
                raise _unresolved(path, exc) from None
        if _is_forbidden(obj):
            raise _Refused(f"{path!r} is not allowed in config values")
    if _is_forbidden(obj):
        raise _Refused(f"{path!r} is not allowed in config values")
    return obj


def _unresolved(path: str, exc: AttributeError) -> _Refused:
    """The refusal for a dotted name that does not resolve: a name some plugin provides says
    which distribution to install or which setting keeps it from loading."""
    if isinstance(exc, MissingPluginAttributeError):
        return _Refused(str(exc))
    return _Refused(f"cannot resolve {path!r}")


def _import_or_none(name: str) -> types.ModuleType | None:
    """Import module ``name``; None if it does not exist (other import errors propagate, but a
    plugin's module that is missing, blocked or disabled is refused with the cure)."""
    if name.split(".", 1)[0] in _FORBIDDEN_MODULES:
        raise _Refused(f"module {name!r} is not allowed in config values")
    try:
        return importlib.import_module(name)
    except MissingPluginError as exc:
        raise _Refused(str(exc)) from None
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if name == missing or name.startswith(missing + "."):
            return None
        raise


def _short(text: str) -> str:
    return repr(text if len(text) <= 200 else text[:197] + "...")


def unrepr(s: str) -> Any:
    """Return the Python object that the config value text ``s`` denotes.

    Accepted: str/bytes/number/bool/None literals; lists, tuples, dicts and sets of accepted
    values; unary minus and plus, and ``+ - * / // % **`` between numbers (``60 * 60 * 24``,
    ``3+2j``; integers past :data:`MAX_UNREPR_INT_BITS` bits are refused before they are
    computed); ``+`` between strings (or bytes); dotted names resolved by import
    (``os.path.join``, ``sys.stdout``; bare names may also be plain-data builtins such as
    ``set``), subscripted with a literal (``httputil.response_codes[404]``); calls of such
    names with accepted arguments, ``**mapping`` included, where a keyword written out wins
    over the same key of the mapping (``cherrypy.dispatch.MethodDispatcher()``,
    ``dict(a=1, **pkg.defaults)``); and ``__import__('pkg.mod', globals(), locals(),
    ['']).name``, read as "import ``pkg.mod`` and take ``name``" (``globals()`` and
    ``locals()`` are placeholders there, never called).

    Everything else (lambdas, comprehensions, f-strings, attributes or subscripts of call
    results, comparisons and boolean operators, sequence repetition, ``%`` formatting,
    special ``__dunder__`` names, code-running callables such as ``eval`` or ``os.system``,
    modules such as ``subprocess`` or ``pickle``) raises :class:`ValueError` naming the text.
    An empty value is returned unchanged.
    """
    if not s:
        return s
    if isinstance(s, bytes):
        s = s.decode("utf-8")
    if not isinstance(s, str):
        raise TypeError(f"unrepr() expects a string, not {type(s).__name__}")
    if len(s) > MAX_UNREPR_LENGTH:
        raise ValueError(f"invalid literal {_short(s)}: longer than {MAX_UNREPR_LENGTH} characters")
    try:
        tree = ast.parse(s.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise ValueError(f"invalid literal {_short(s)}: {reason}") from None
    try:
        return _Evaluator().build(tree)
    except _Refused as exc:
        raise ValueError(f"invalid literal {_short(s)}: {exc}") from exc.__cause__
    except RecursionError:
        raise ValueError(f"invalid literal {_short(s)}: nested too deeply") from None


def modules(modulePath: str) -> types.ModuleType:
    """Import the module named ``modulePath`` (dotted) and return it."""
    return importlib.import_module(modulePath)


def attributes(full_attribute_name: str) -> Any:
    """Return the object named ``package.module.attribute``, importing the module first."""
    module_path, dot, attr_name = full_attribute_name.rpartition(".")
    if not dot:
        raise ValueError(f"{full_attribute_name!r} is not of the form 'module.attribute'")
    module = modules(module_path)
    try:
        return getattr(module, attr_name)
    except MissingPluginAttributeError as exc:
        raise AttributeError(str(exc)) from None
    except AttributeError:
        raise AttributeError(f"module {module_path!r} has no attribute {attr_name!r}") from None


class BatchNamespace:
    """A namespace handler that applies one config update's entries together.

    ``configure(entries)`` receives the update's ``{key without the namespace: value}`` once
    its entries are all known, so that keys which depend on each other (``metrics.on`` and
    ``metrics.path``) may come in any order and be checked as a whole.  Nothing is applied
    when an entry's handling raised, or when the update had no entry of this namespace.
    Register an instance with the ``cherrypy_config_namespaces`` hook.
    """

    def __init__(self, configure: Callable[[dict[str, Any]], None]) -> None:
        self.configure = configure
        self._entries = threading.local()

    def __enter__(self) -> Callable[[str, Any], None]:
        entries: dict[str, Any] = {}
        self._entries.current = entries
        return entries.__setitem__

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        entries = self._entries.__dict__.pop("current", None)
        if entries and exc_type is None:
            self.configure(entries)


class NamespaceSet(dict):
    """Map config namespace names to the handlers that apply their entries.

    Calling the set with a flat config dict splits every ``ns.rest`` key at its first dot and
    passes ``(rest, value)`` to the handler registered for ``ns``. A handler is either a
    callable, called once per entry, or a context manager whose ``__enter__`` returns that
    callable; its ``__exit__`` runs after the namespace's entries (also when there are none),
    and receives the exception if one of them raised. Keys of unknown namespaces and keys
    without a dot are ignored.
    """

    def __call__(self, config: Mapping[str, Any]) -> None:
        """Apply the entries of ``config`` through the registered namespace handlers."""
        by_namespace: dict[str, dict[str, Any]] = {}
        for key, value in config.items():
            if isinstance(key, str) and "." in key:
                namespace, rest = key.split(".", 1)
                by_namespace.setdefault(namespace, {})[rest] = value

        for namespace, handler in list(self.items()):
            entries = by_namespace.get(namespace, {})
            kind = type(handler)
            if hasattr(kind, "__enter__") and hasattr(kind, "__exit__"):
                with handler as apply:
                    for rest, value in entries.items():
                        apply(rest, value)
            else:
                for rest, value in entries.items():
                    handler(rest, value)

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__qualname__}({dict.__repr__(self)})"

    def copy(self) -> NamespaceSet:
        """Return a shallow copy of the same class."""
        duplicate = type(self)()
        duplicate.update(self)
        return duplicate

    __copy__ = copy


class Parser(configparser.ConfigParser):
    """ConfigParser that keeps option case, refuses missing files and unreprs values."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._origins: dict[tuple[str, str], str] = {}
        self._sources: list[str] = []

    def optionxform(self, optionstr: str) -> str:
        """Keep option names exactly as written (ConfigParser lowercases them)."""
        return optionstr

    def _raw_snapshot(self) -> dict[tuple[str, str], str | None]:
        snapshot: dict[tuple[str, str], str | None] = {}
        for option, value in self.defaults().items():
            snapshot[(self.default_section, option)] = value
        for section in self.sections():
            for option in self.options(section):
                snapshot[(section, option)] = self.get(section, option, raw=True)
        return snapshot

    def _read_tracked(self, fp: Iterable[str], source: str) -> None:
        """Read ``fp`` and remember ``source`` as the origin of every value it set."""
        before = self._raw_snapshot()
        self.read_file(fp, source=source)
        for place, value in self._raw_snapshot().items():
            if before.get(place, _MISSING) != value:
                self._origins[place] = source
        self._sources.append(source)

    def read(  # type: ignore[override]
        self,
        filenames: str | bytes | os.PathLike[str] | Iterable[str | bytes | os.PathLike[str]],
        encoding: str | None = "utf-8",
    ) -> list[str]:
        """Read the named file(s); unlike ConfigParser, a missing file raises FileNotFoundError."""
        if isinstance(filenames, (str, bytes, os.PathLike)):
            filenames = [filenames]
        read_ok = []
        for filename in filenames:
            name = os.fsdecode(filename)
            try:
                fp = open(filename, encoding=encoding)  # noqa: SIM115
            except FileNotFoundError as exc:
                raise FileNotFoundError(exc.errno, "Config file not found", name) from None
            with fp:
                self._read_tracked(fp, name)
            read_ok.append(name)
        return read_ok

    def _origin(self, section: str, option: str) -> str:
        for place in ((section, option), (self.default_section, option)):
            if place in self._origins:
                return self._origins[place]
        return ", ".join(self._sources) or "<config>"

    def as_dict(self, raw: bool = False, vars: Mapping[str, str] | None = None) -> dict:
        """Return ``{section: {option: unrepr(value)}}`` for every section read."""
        result: dict[str, dict[str, Any]] = {}
        for section in self.sections():
            values = result.setdefault(section, {})
            for option in self.options(section):
                try:
                    text = self.get(section, option, raw=raw, vars=vars)
                    values[option] = unrepr(text)
                except (ValueError, configparser.InterpolationError) as exc:
                    raise ValueError(
                        f"Config error in {self._origin(section, option)!r}, "
                        f"section [{section}], key {option!r}: {exc}"
                    ) from exc
        return result

    def dict_from_file(self, file: str | bytes | os.PathLike[str] | IO[str]) -> dict:
        """Read a filename or an open text file and return :meth:`as_dict`."""
        if hasattr(file, "read"):
            name = str(getattr(file, "name", "<file>"))
            self._read_tracked(file, name)  # type: ignore[arg-type]
        else:
            self.read(file)  # type: ignore[arg-type]
        return self.as_dict()

    @classmethod
    def load(cls, input: Any) -> dict:
        """Return config as a dict from a dict (shallow copy), a filename or an open file."""
        if isinstance(input, (str, bytes, os.PathLike)) or hasattr(input, "read"):
            return cls().dict_from_file(input)
        if isinstance(input, Mapping):
            return dict(input)
        raise TypeError(
            f"config must be a dict, a filename or an open file, not {type(input).__name__}"
        )


_MISSING = object()


class Config(dict):
    """A config dict with defaults, named environments and namespace handlers.

    ``update`` takes a dict, a filename or an open file; every entry set through ``update``
    or item assignment is also passed to :attr:`namespaces`. The special ``environment`` key
    fills in the entries of ``environments[name]`` that the update does not set itself.
    """

    defaults: dict[str, Any] = {}
    environments: dict[str, dict[str, Any]] = {}
    namespaces: NamespaceSet = NamespaceSet()

    def __init__(self, file: Any = None, **kwargs: Any) -> None:
        self.reset()
        if file is not None:
            self.update(file)
        if kwargs:
            self.update(kwargs)

    def reset(self) -> None:
        """Drop every entry and restore :attr:`defaults` (namespace handlers are not run)."""
        self.clear()
        dict.update(self, self.defaults)

    def update(self, config: Any) -> None:  # type: ignore[override]
        """Merge entries from a dict, a filename or an open file."""
        self._apply(Parser.load(config))

    def _apply(self, config: dict[str, Any]) -> None:
        """Merge a flat dict: environment entries first, then store, then run namespaces."""
        which_env = config.get("environment")
        if which_env:
            try:
                env = self.environments[which_env]
            except (KeyError, TypeError):
                known = ", ".join(sorted(self.environments)) or "none"
                raise ValueError(
                    f"unknown config environment {which_env!r} (known: {known})"
                ) from None
            for key, value in env.items():
                config.setdefault(key, value)
        dict.update(self, config)
        self.namespaces(config)

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        self.namespaces({key: value})
