"""Declared config keys: which keys each config namespace accepts, for the checker and the docs.

Every distribution declares the keys it reads by implementing the
``cherrypy_config_keys(checker)`` hook; ``checker`` is a :class:`KeyDeclarer` that stamps each
declaration with the distribution making it::

    @hookimpl
    def cherrypy_config_keys(checker):
        checker.declare_namespace("db", "Database settings.", scope="global")
        checker.declare_key("db", "url", str, "sqlite://", "Where the database lives.")
        checker.declare_tool("shout", SHOUT_TOOL, {"level": "How loud the response gets."})

:func:`collect` gathers every declaration into a :class:`ConfigKeyRegistry`.  The config
checker uses it to warn about misspelled keys (``tools.sessions.timout``), and the
documentation renders the configuration reference from it.

A namespace is *closed* (the default: a key it does not declare gets a warning) or *open*
(``open=True``: it takes keys nobody can list in advance, such as ``request.*`` attributes of
an application's own, so only a near miss of a declared key gets a warning).  A key whose
first segment is a declared key is accepted too (``hooks.before_handler.mine``), and a
namespace with ``instances=True`` also accepts ``<ns>.<name>.<key>`` (CherryPy's
``server.<name>.socket_port`` for additional servers).
"""

from __future__ import annotations

import ast
import difflib
import functools
import inspect
import itertools
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "REQUIRED",
    "SCOPES",
    "UNSET",
    "ConfigKey",
    "ConfigKeyRegistry",
    "ConfigNamespace",
    "KeyDeclarer",
    "UnknownKey",
    "attribute_docs",
    "collect",
]

SCOPES = ("global", "app", "request")
"""Where a namespace's keys go: global config, application config, or path sections."""


class _Marker:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


REQUIRED: Any = _Marker("required")
"""The default of a key that must be given (a tool argument without a default)."""

UNSET: Any = _Marker("unset")
"""The default of a key whose default is not a fixed value."""

_DEBUG_DOC = "Log what the tool does to the error log."


@dataclass(frozen=True)
class ConfigKey:
    """One declared key: ``namespace.key``, its type, default, doc and provider."""

    namespace: str
    key: str
    type: str
    default: Any
    doc: str
    provider: str | None

    @property
    def fullname(self) -> str:
        """The key as written in config (``tools.gzip.min_size``)."""
        return f"{self.namespace}.{self.key}" if self.namespace else self.key

    @property
    def default_text(self) -> str:
        """The default as shown in the reference (``repr``, or "required" / "")."""
        if self.default is REQUIRED:
            return "required"
        if self.default is UNSET:
            return ""
        value = self.default
        if callable(value) and hasattr(value, "__qualname__"):
            return f"{value.__module__}.{value.__qualname__}"
        text = repr(value)
        if " at 0x" in text:  # an instance without a readable repr
            return f"{type(value).__module__}.{type(value).__qualname__}()"
        return text


@dataclass(frozen=True)
class ConfigNamespace:
    """A declared namespace (``server``, ``tools.sessions``, ``response.headers``...)."""

    name: str
    doc: str
    scope: str
    open: bool
    instances: bool
    provider: str | None
    accepts: Callable[[str, Mapping[str, Any]], bool] | None = None
    """``accepts(key, section)``: True if ``key`` (without the namespace) is valid in that
    config section although nobody declared it (e.g. a setting of the configured backend)."""


@dataclass(frozen=True)
class UnknownKey:
    """Why a config key is not a declared one (see :meth:`ConfigKeyRegistry.check`)."""

    fullname: str
    namespace: ConfigNamespace
    key: str
    suggestion: str | None

    @property
    def message(self) -> str:
        """The checker's warning text."""
        ns = self.namespace
        owner = f"{ns.name!r} ({ns.provider})" if ns.provider else repr(ns.name)
        hint = f" Did you mean {self.suggestion!r}?" if self.suggestion else ""
        if ns.open:
            return (
                f"The config entry {self.fullname!r} may be misspelled: the {owner} config "
                f"namespace declares no key {self.key!r}.{hint}"
            )
        return (
            f"The config entry {self.fullname!r} is unknown: the {owner} config namespace "
            f"declares no key {self.key!r}.{hint}"
        )


@dataclass
class ConfigKeyRegistry:
    """Every declared namespace and key (built by :func:`collect`)."""

    namespaces: dict[str, ConfigNamespace] = field(default_factory=dict)
    _keys: dict[str, dict[str, list[ConfigKey]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    """Failures of plugins' ``cherrypy_config_keys`` implementations."""

    def add_namespace(self, namespace: ConfigNamespace) -> None:
        """Record ``namespace``; a second declaration may only make it more permissive."""
        known = self.namespaces.get(namespace.name)
        if known is None:
            self.namespaces[namespace.name] = namespace
            return
        self.namespaces[namespace.name] = ConfigNamespace(
            known.name,
            known.doc or namespace.doc,
            known.scope,
            known.open or namespace.open,
            known.instances or namespace.instances,
            known.provider,
            known.accepts or namespace.accepts,
        )

    def add_key(self, key: ConfigKey) -> None:
        """Record ``key`` (several distributions may declare the same key)."""
        self._keys.setdefault(key.namespace, {}).setdefault(key.key, []).append(key)

    def declarations(self, namespace: str | None = None) -> list[ConfigKey]:
        """Every declaration, or those of one namespace, sorted by full name."""
        if namespace is None:
            found = [k for by_key in self._keys.values() for ks in by_key.values() for k in ks]
        else:
            found = [k for ks in self._keys.get(namespace, {}).values() for k in ks]
        return sorted(found, key=lambda k: (k.namespace, k.key))

    def key_names(self, namespace: str) -> set[str]:
        """The names declared in ``namespace`` (without the namespace)."""
        return set(self._keys.get(namespace, ()))

    def namespace_of(self, fullname: str) -> tuple[ConfigNamespace, str] | None:
        """The most specific declared namespace holding ``fullname``, and the rest of the key."""
        atoms = fullname.split(".")
        for cut in range(len(atoms) - 1, 0, -1):
            namespace = self.namespaces.get(".".join(atoms[:cut]))
            if namespace is not None:
                return namespace, ".".join(atoms[cut:])
        return None

    def check(self, fullname: str, section: Mapping[str, Any] | None = None) -> UnknownKey | None:
        """``None`` if ``fullname`` is declared (or not in a declared namespace), else why not.

        ``section`` is the config section holding the key, for namespaces that accept keys
        depending on other settings (see :attr:`ConfigNamespace.accepts`).
        """
        found = self.namespace_of(fullname)
        if found is None:
            return None
        namespace, rest = found
        names = self.key_names(namespace.name)
        if rest in names or rest.split(".", 1)[0] in names:
            return None
        if namespace.accepts is not None and _accepts(namespace, rest, section or {}):
            return None
        prefix = ""
        if namespace.instances and "." in rest:
            instance, rest_of_instance = rest.split(".", 1)
            if rest_of_instance in names or rest_of_instance.split(".", 1)[0] in names:
                return None
            prefix = instance + "."
        wanted = rest[len(prefix) :]
        cutoff = 0.8 if namespace.open else 0.6
        close = difflib.get_close_matches(wanted, sorted(names), n=1, cutoff=cutoff)
        if namespace.open and not close:
            return None
        suggestion = f"{namespace.name}.{prefix}{close[0]}" if close else None
        return UnknownKey(fullname, namespace, wanted, suggestion)


class KeyDeclarer:
    """What ``cherrypy_config_keys(checker)`` receives: declares keys for one distribution."""

    def __init__(self, registry: ConfigKeyRegistry, provider: str | None) -> None:
        self.registry = registry
        self.provider = provider
        """The distribution the declarations are credited to."""

    def declare_namespace(
        self,
        name: str,
        doc: str,
        *,
        scope: str = "request",
        open: bool = False,
        instances: bool = False,
        accepts: Callable[[str, Mapping[str, Any]], bool] | None = None,
    ) -> None:
        """Declare config namespace ``name`` (dotted for a sub-namespace, e.g. ``tools.gzip``).

        ``scope`` is ``"global"``, ``"app"`` or ``"request"``; ``open`` lets it take keys
        nobody declared; ``instances`` accepts ``<name>.<instance>.<key>`` as well;
        ``accepts(key, section)`` may vouch for an undeclared key given its config section.
        """
        if scope not in SCOPES:
            raise ValueError(f"unknown config scope {scope!r}; expected one of {SCOPES}")
        self.registry.add_namespace(
            ConfigNamespace(name, _one_line(doc), scope, open, instances, self.provider, accepts)
        )

    def declare_key(
        self, namespace: str, key: str, type: Any = None, default: Any = UNSET, doc: str = ""
    ) -> None:
        """Declare ``namespace.key`` with its type (a type or a text), default and a doc line."""
        self.registry.add_key(
            ConfigKey(
                namespace, key, _type_text(type, default), default, _one_line(doc), self.provider
            )
        )

    def declare_attributes(
        self,
        namespace: str,
        owner: Any,
        names: Iterable[str],
        docs: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        """Declare keys that set attributes of ``owner`` (a class or an instance).

        Types come from annotations or the default's type, docs from ``docs`` or else from the
        attribute docstrings in the source (the string right after the assignment) or the
        property's docstring.
        """
        cls = owner if isinstance(owner, type) else type(owner)
        found_docs = attribute_docs(cls)
        annotations = _annotations(cls)
        for name in names:
            static = inspect.getattr_static(owner, name, UNSET)
            if isinstance(static, property):
                value = getattr(owner, name) if not isinstance(owner, type) else UNSET
            else:
                value = getattr(owner, name, UNSET)
            default = defaults[name] if defaults and name in defaults else value
            type_ = annotations.get(name) or _type_text(None, value) or None
            doc = (docs or {}).get(name) or found_docs.get(name)
            if doc is None and isinstance(static, property):
                doc = static.__doc__ or ""
            self.declare_key(namespace, name, type_, default, doc or "")

    def declare_tool(
        self,
        name: str,
        tool: Any,
        docs: Mapping[str, str],
        *,
        extra: Mapping[str, tuple[Any, Any, str]] | None = None,
        open: bool | None = None,
        doc: str | None = None,
        priority: int | None = None,
        toolbox: str = "tools",
        accepts: Callable[[str, Mapping[str, Any]], bool] | None = None,
    ) -> None:
        """Declare ``tools.<name>`` with ``on``, ``priority`` and one key per parameter of
        the tool's callable (its signature gives the type and default; ``docs`` the doc).

        ``tool`` is a :class:`~cherrypy.kernel.tools.Tool` or the callable itself.  ``extra``
        maps further keys the tool reads to ``(type, default, doc)``.  The namespace is open
        when the callable takes ``**kwargs``, unless ``open`` says otherwise.  ``priority``
        (documented default of ``priority``) defaults to the tool's own; ``accepts`` is
        passed to :meth:`declare_namespace`.
        """
        namespace = f"{toolbox}.{name}"
        params, takes_kwargs = tool_parameters(tool)
        target = getattr(tool, "callable", tool)
        tool_doc = doc if doc is not None else (getattr(target, "__doc__", None) or "")
        self.declare_namespace(
            namespace,
            tool_doc,
            open=takes_kwargs if open is None else open,
            scope="request",
            accepts=accepts,
        )
        self.declare_key(namespace, "on", bool, False, "Switch the tool on for this path.")
        if priority is None:
            priority = getattr(tool, "_priority", getattr(tool, "priority", 50))
        self.declare_key(
            namespace, "priority", int, priority, "Order among the callbacks of its hook point."
        )
        for param in params:
            annotation = None if param.annotation is param.empty else param.annotation
            default = REQUIRED if param.default is param.empty else param.default
            text = docs.get(param.name) or (_DEBUG_DOC if param.name == "debug" else "")
            self.declare_key(namespace, param.name, annotation, default, text)
        for key, (type_, default, text) in (extra or {}).items():
            self.declare_key(namespace, key, type_, default, text)


def _accepts(namespace: ConfigNamespace, key: str, section: Mapping[str, Any]) -> bool:
    try:
        return bool(namespace.accepts and namespace.accepts(key, section))
    except Exception:
        return False


def tool_parameters(tool: Any) -> tuple[list[inspect.Parameter], bool]:
    """The keyword parameters of a tool's callable, and whether it also takes ``**kwargs``."""
    target = getattr(tool, "callable", tool)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return [], True
    params = []
    takes_kwargs = False
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            takes_kwargs = True
        elif param.kind is not param.VAR_POSITIONAL and param.name != "self":
            params.append(param)
    return params, takes_kwargs


def collect() -> ConfigKeyRegistry:
    """Load plugins and gather every distribution's declarations into a new registry."""
    from cherrypy.kernel.runtime import boot

    hooks = boot()
    registry = ConfigKeyRegistry()
    registry.errors.extend(hooks.config_keys(lambda provider: KeyDeclarer(registry, provider)))
    return registry


@functools.lru_cache(maxsize=128)
def attribute_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings of ``cls`` and its bases: ``{name: first paragraph}``.

    An attribute docstring is the string literal written right after an assignment in the
    class body, the convention Sphinx reads too.  Classes whose source is unavailable give
    nothing.
    """
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__[:-1]):
        try:
            source = textwrap.dedent(inspect.getsource(klass))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for statement, following in itertools.pairwise(body):
            target = _assigned_name(statement)
            if target is None or not isinstance(following, ast.Expr):
                continue
            value = following.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found[target] = _one_line(value.value)
    return found


def _assigned_name(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return statement.targets[0].id
    return None


def _annotations(cls: type) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        found.update(vars(klass).get("__annotations__", {}))
    return found


def _one_line(text: str) -> str:
    """The first paragraph of ``text`` on one line."""
    paragraph = inspect.cleandoc(text or "").split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def _type_text(type_: Any, default: Any) -> str:
    if type_ is None:
        if default is None or default is UNSET or default is REQUIRED:
            return ""
        type_ = type(default)
    if isinstance(type_, str):
        return type_
    if isinstance(type_, type):
        return type_.__name__
    return str(type_).replace("typing.", "")


Declarer = Callable[[str | None], KeyDeclarer]
"""``declarer_for(distribution)``: the :class:`KeyDeclarer` crediting that distribution."""
