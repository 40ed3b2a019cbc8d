"""The default object-tree dispatcher, page handlers, ``expose`` and ``popargs``."""

from __future__ import annotations

import inspect
import string
import sys
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from cherrypy.kernel import config as _config_module
from cherrypy.kernel import pipeline as _pipeline_module
from cherrypy.kernel.context import serving
from cherrypy.kernel.errors import CherryPyException, HTTPError, NotFound
from cherrypy.kernel.pipeline import entry_for_sources
from cherrypy.kernel.runtime import site

if TYPE_CHECKING:
    from cherrypy.kernel.request import Request
    from cherrypy.kernel.tree import Application
    from cherrypy.kernel.views import RequestView

__all__ = [
    "Dispatcher",
    "LateParamPageHandler",
    "PageHandler",
    "add_handler_config",
    "expose",
    "handler_type_error",
    "popargs",
    "punctuation_to_underscores",
    "route_name",
    "set_route",
    "test_callable_spec",
    "use_config",
    "validate_translator",
]

punctuation_to_underscores = str.maketrans(string.punctuation, "_" * len(string.punctuation))
"""Translation table mapping URL punctuation to ``_`` (``/page.html`` finds ``page_html``)."""


def validate_translator(translate: Any) -> None:
    """Refuse a ``translate`` table that is not a dict built with :func:`str.maketrans`."""
    if not isinstance(translate, dict):
        raise ValueError("The translate argument must be a dict.")


class PageHandler:
    """A page handler bound to its positional (virtual path) and keyword arguments."""

    def __init__(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.callable = callable
        self.args = args
        self.kwargs = kwargs

    @property
    def args(self) -> tuple[Any, ...]:
        """The positional (virtual path) arguments, kept as ``request.args``."""
        return serving.request.args

    @args.setter
    def args(self, value: tuple[Any, ...]) -> None:
        serving.request.args = value

    @property
    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments, kept as ``request.kwargs``."""
        return serving.request.kwargs

    @kwargs.setter
    def kwargs(self, value: dict[str, Any]) -> None:
        serving.request.kwargs = value

    def __call__(self) -> Any:
        """Call the handler; a TypeError from an argument mismatch becomes a 404 or 400."""
        try:
            return self.callable(*self.args, **self.kwargs)
        except TypeError as exc:
            # Either the arguments do not fit the handler (404/400) or the handler itself
            # raised a TypeError (500): the signature check tells them apart.
            error = handler_type_error(self.callable, self.args, self.kwargs, exc)
            if error is exc:
                raise
            raise error from None


def handler_type_error(
    callable: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    exc: TypeError,
) -> BaseException:
    """What a page handler's TypeError ``exc`` becomes: the 404 or 400 of arguments that do
    not fit ``callable`` (:func:`test_callable_spec`), else ``exc`` itself (a 500)."""
    try:
        test_callable_spec(callable, args, kwargs)
    except HTTPError as error:
        return error
    except Exception:
        return exc
    return exc


class LateParamPageHandler(PageHandler):
    """A page handler whose keyword arguments are ``request.params`` at call time.

    Hooks and tools that run before the handler may change ``request.params``.
    """

    def __init__(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if type(self) is not LateParamPageHandler:
            super().__init__(callable, *args, **kwargs)  # a subclass may redefine the setters
            return
        self.callable = callable
        request = serving.request
        request.args = args  # what the ``args`` and ``kwargs`` setters store
        request.kwargs = kwargs
        self._kwargs = kwargs

    @property
    def kwargs(self) -> dict[str, Any]:
        """``request.params`` updated with the keyword arguments given at creation."""
        kwargs = serving.request.params.copy()
        if self._kwargs:
            kwargs.update(self._kwargs)
        return kwargs

    @kwargs.setter
    def kwargs(self, value: dict[str, Any]) -> None:
        serving.request.kwargs = value
        self._kwargs = value

    def __call__(self) -> Any:
        """Call the handler with ``request.args`` and the current ``request.params``."""
        if type(self) is not LateParamPageHandler:
            return PageHandler.__call__(self)  # a subclass may redefine args or kwargs
        request = serving.request
        kwargs = request.params.copy()
        if self._kwargs:
            kwargs.update(self._kwargs)
        try:
            return self.callable(*request.args, **kwargs)
        except TypeError as exc:
            error = handler_type_error(self.callable, request.args, kwargs, exc)
            if error is exc:
                raise
            raise error from None


def _signature_of(callable: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(callable)
    except (TypeError, ValueError):
        call = getattr(callable, "__call__", None)  # noqa: B004
        if call is None:
            return None
        try:
            return inspect.signature(call)
        except (TypeError, ValueError):
            return None


def test_callable_spec(
    callable: Callable[..., Any], callable_args: tuple[Any, ...], callable_kwargs: dict[str, Any]
) -> None:
    """Explain why ``callable`` cannot take these arguments, as an HTTPError.

    Missing or surplus path/query arguments give 404; surplus or duplicated body parameters
    give 400.  ``request.show_mismatched_params`` adds the details to the message.
    """
    show = getattr(serving.request, "show_mismatched_params", False)
    sig = _signature_of(callable)
    if sig is None:
        return
    positional: list[str] = []
    defaults: set[str] = set()
    keyword_only: list[str] = []
    has_varargs = has_varkw = False
    for param in sig.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            positional.append(param.name)
        elif param.kind is param.KEYWORD_ONLY:
            keyword_only.append(param.name)
        elif param.kind is param.VAR_POSITIONAL:
            has_varargs = True
        else:
            has_varkw = True
        if param.default is not param.empty:
            defaults.add(param.name)
    usage = {name: 0 for name in positional + keyword_only}
    surplus_positional = 0
    for index in range(len(callable_args)):
        if index < len(positional):
            usage[positional[index]] += 1
        else:
            surplus_positional += 1
    extra_kwargs: set[str] = set()
    for key in callable_kwargs:
        if key in usage:
            usage[key] += 1
        else:
            extra_kwargs.add(key)
    for name in defaults:
        if usage.get(name) == 0:
            usage[name] = 1
    missing = [name for name, count in usage.items() if count == 0]
    multiple = [name for name, count in usage.items() if count > 1]
    if missing:
        raise HTTPError(404, f"Missing parameters: {','.join(missing)}" if show else None)
    if surplus_positional and not has_varargs:
        raise HTTPError(404)
    body = getattr(serving.request, "body", None)
    body_params = set((getattr(body, "params", None) or {}).keys())
    qs_params = set(callable_kwargs) - body_params
    if multiple:
        status = 404 if qs_params.intersection(multiple) else 400
        raise HTTPError(
            status, f"Multiple values for parameters: {','.join(multiple)}" if show else None
        )
    if extra_kwargs and not has_varkw:
        extra_qs = sorted(qs_params & extra_kwargs)
        if extra_qs:
            raise HTTPError(
                404, f"Unexpected query string parameters: {', '.join(extra_qs)}" if show else None
            )
        extra_body = sorted(body_params & extra_kwargs)
        if extra_body:
            raise HTTPError(
                400, f"Unexpected body parameters: {', '.join(extra_body)}" if show else None
            )


_section_dicts: dict[str, dict[str, str]] = {}


def _staticdir_section(section: str) -> dict[str, str]:
    """A cached one-key dict, so config sources keep stable identities (pipeline cache keys)."""
    found = _section_dicts.get(section)
    if found is None:
        if len(_section_dicts) > 4096:
            _section_dicts.clear()
        found = _section_dicts[section] = {"tools.staticdir.section": section}
    return found


class Dispatcher:
    """Map a path to a page handler by walking the application's object tree.

    ``/a/b/c`` looks up ``root.a.b.c`` (then ``.index``), falling back to the nearest
    ``default`` method; remaining segments become positional arguments.  Config is collected
    along the walk from ``_cp_config`` attributes and the app's path sections.
    """

    dispatch_method_name = "_cp_dispatch"

    def __init__(
        self, dispatch_method_name: str | None = None, translate: dict[int, Any] | None = None
    ) -> None:
        if translate is None:
            translate = punctuation_to_underscores
        validate_translator(translate)
        self.translate = translate
        if dispatch_method_name:
            self.dispatch_method_name = dispatch_method_name

    def __call__(self, path_info: str) -> None:
        """Set ``request.handler`` (and config) for ``path_info``."""
        request = serving.request
        func, vpath = self.find_handler(path_info)
        if func:
            if vpath:
                vpath = [segment.replace("%2F", "/") for segment in vpath]
            request.handler = LateParamPageHandler(func, *vpath)
        else:
            request.handler = NotFound()

    def find_handler(self, path: str) -> tuple[Any, list[str]]:
        """Return ``(handler or None, virtual path segments)``; sets ``request.config``.

        A walk that called no ``_cp_dispatch`` is remembered per (dispatcher, app, path,
        config generation) together with every attribute it read; the next request for the
        path re-reads just those attributes and reuses the result when each one is still the
        same object, so a changed object tree is always walked again.
        """
        request = serving.request
        app = request.app
        key = (id(self), id(app), path, _pipeline_module._generation, _config_module.generation())
        hit = _walk_cache.get(key)
        if hit is not None and hit[0] is app:
            _app, cached_reads, func, vpath, entry, is_index, route, route_sn, suffix = hit
            for owner, attr, value in cached_reads:
                current = getattr(owner, attr, None)
                # Bound methods are new objects on every access: compare them by equality
                # (same function, same instance); anything else by identity.
                if current is not value and (
                    current.__class__ is not _MethodType or current != value
                ):
                    break
            else:
                _pipeline_module._stats["hits"] += 1
                request._pipeline_entry = entry
                cls = request.__class__
                if cls in _config_fields_classes:
                    # What its ``config = None`` setter does, without the property call.
                    if request._own_config is not None:
                        request._own_config = None
                    request._shared_config = entry.config  # copied on first access
                elif getattr(cls, "_lazy_config", False):
                    request.config = None
                    request._shared_config = entry.config  # copied on first access
                else:
                    request.config = entry.config.copy()
                request.is_index = is_index
                script_name = request.script_name
                if script_name is not route_sn and suffix is not None:
                    route = script_name + suffix  # an app mounted where the environ says
                request.route = route
                return func, list(vpath)
        reads: list[tuple[Any, str, Any]] = []
        result = self._walk(request, app, path, reads)
        if request._pipeline_entry is not None and not getattr(request, "_walk_dynamic", False):
            if len(_walk_cache) >= 4096:
                _walk_cache.clear()
            func, vpath = result
            route = request.route
            script_name = request.script_name
            _walk_cache[key] = (
                app,
                _plain_owners(reads),
                func,
                tuple(vpath),
                request._pipeline_entry,
                request.is_index,
                route,
                script_name,
                None if route is None else route[len(script_name) :],
            )
        if getattr(request, "_walk_dynamic", False):
            request._walk_dynamic = False  # (not stored when unset: fewer instance attributes)
        return result

    def _walk(
        self, request: Request, app: Application, path: str, reads: list[tuple[Any, str, Any]]
    ) -> tuple[Any, list[str]]:
        """The object-tree walk of :meth:`find_handler`; records what it read in ``reads``."""
        root = app.root
        app_config = app.config
        dispatch_name = self.dispatch_method_name
        translate = self.translate
        # The default table only maps ASCII punctuation to "_": identifiers pass unchanged.
        skip_identifiers = translate is punctuation_to_underscores

        fullpath = [seg for seg in path.strip("/").split("/") if seg]
        fullpath.append("index")
        fullpath_len = len(fullpath)
        node_sources: list[dict[str, Any]] = []
        root_conf = getattr(root, "_cp_config", None)
        reads.append((root, "_cp_config", root_conf))
        if root_conf:
            node_sources.append(root_conf)
        section = app_config.get("/")
        if section is not None:
            node_sources.append(section)
        # trail entries: (node, its config sources, segments left after it)
        trail: list[tuple[Any, list[dict[str, Any]], int]] = [(root, node_sources, fullpath_len)]
        # The attribute name each trail entry was found under ("*" where _cp_dispatch chose):
        # what request.route is made of.
        steps: list[str] = [""]

        node = root
        names = fullpath[:]
        segleft = fullpath_len
        while names:
            name = names[0]
            node_sources = []
            if skip_identifiers and name.isidentifier():
                objname = name
            else:
                objname = name.translate(translate)
            subnode = getattr(node, objname, None)
            reads.append((node, objname, subnode))
            pre_len = segleft
            if subnode is None:
                dispatch = getattr(node, dispatch_name, None)
                if (
                    dispatch
                    and callable(dispatch)
                    and not getattr(dispatch, "exposed", False)
                    and pre_len > 1
                ):
                    index_name = names.pop()
                    subnode = dispatch(vpath=names)
                    names.append(index_name)
                    request._walk_dynamic = True  # _cp_dispatch: never cached
                    objname = "*"
                else:
                    reads.append((node, dispatch_name, dispatch))
                    del names[0]
            else:
                del names[0]
            segleft = len(names)
            if segleft > pre_len:
                raise CherryPyException(
                    "A vpath segment was added.  Custom dispatchers may only remove elements.  "
                    f"While trying to process {name} in {fullpath}"
                )
            if segleft == pre_len:
                # _cp_dispatch handed back the node without consuming a segment.
                del names[0]
                segleft -= 1
            node = subnode
            if node is not None:
                conf = getattr(node, "_cp_config", None)
                reads.append((node, "_cp_config", conf))
                if conf:
                    node_sources.append(conf)
            # App sections for every segment consumed at this step (usually one).
            existing = fullpath_len - pre_len
            curpath = "/" + "/".join(fullpath[:existing]) if existing else ""
            for seg in fullpath[existing : fullpath_len - segleft]:
                curpath += "/" + seg
                section = app_config.get(curpath)
                if section is not None:
                    node_sources.append(section)
            trail.append((node, node_sources, segleft))
            steps.append(objname)

        last = len(trail) - 1
        for i in range(last, -1, -1):
            candidate, _confs, segleft = trail[i]
            if candidate is None:
                continue
            default = getattr(candidate, "default", None)
            reads.append((candidate, "default", default))
            if default is not None and getattr(default, "exposed", False):
                conf = getattr(default, "_cp_config", None)
                reads.append((default, "_cp_config", conf))
                trail.insert(i + 1, (default, [conf] if conf else [], segleft))
                self._set_config(request, app, trail, fullpath, path)
                request.is_index = path.endswith("/")
                request.route = route_name(request.script_name, [*steps[1 : i + 1], "default"])
                return default, fullpath[fullpath_len - segleft : -1]
            if getattr(candidate, "exposed", False):
                self._set_config(request, app, trail, fullpath, path)
                request.is_index = i == last
                request.route = route_name(request.script_name, steps[1 : i + 1])
                return candidate, fullpath[fullpath_len - segleft : -1]
        self._set_config(request, app, trail, fullpath, path)
        request.route = None
        return None, []

    @staticmethod
    def _set_config(
        request: Request,
        app: Application,
        trail: list[tuple[Any, list[dict[str, Any]], int]],
        fullpath: list[str],
        path: str,
    ) -> None:
        """Merge the config sources of the whole ``trail`` (cached) into ``request.config``.

        Entries past the handler count too, as in CherryPy: a path section for a virtual
        path (``/handler/extra`` when ``handler`` takes positional arguments) applies to it.
        """
        sources: list[dict[str, Any]] = [_global_config()]
        for _node, confs, left in trail:
            for conf in confs:
                sources.append(conf)
                if "tools.staticdir.dir" in conf:
                    section = "/" + "/".join(fullpath[: len(fullpath) - left])
                    sources.append(_staticdir_section(section))
        use_config(request, sources, path)


def route_name(script_name: str, names: Sequence[str]) -> str:
    """``request.route`` for a handler found under attribute ``names`` of the app's root.

    The mount point, then the names joined by ``/``; an ``index`` handler is named after the
    path it serves, with a trailing slash (``/`` for ``root.index``, ``/users/`` for
    ``root.users.index``); a ``default`` handler keeps its name (``/users/default``); runs of
    ``_cp_dispatch`` steps become one ``*``.  Virtual-path segments never appear, so the
    number of routes is bounded by the object tree, whatever clients request.
    """
    parts: list[str] = []
    for name in names:
        if name != "*" or not parts or parts[-1] != "*":
            parts.append(name)
    if parts and parts[-1] == "index":
        parts[-1] = ""
    return script_name + "/" + "/".join(parts)


def set_route(request: RequestView, route: str | None) -> None:
    """Name what handled ``request`` (``request.route``): for dispatchers.

    ``route`` must come from a bounded set whatever clients send (a route template such as
    ``/users/{id}``, the mount point included; never the requested URL); ``None`` when
    nothing matched.  Metrics and traces label requests with it.
    """
    request.route = route


def use_config(request: RequestView, sources: Sequence[dict[str, Any]], path: str) -> None:
    """Give ``request`` the config of ``sources`` merged in order, and that trail's pipeline.

    The dispatcher seam: a dispatcher that has worked out which config dicts apply to a
    request (the global config first, then app sections and ``_cp_config`` dicts, most
    specific last) hands them over here.  The merged dict and its compiled pipeline are
    cached by the identity of the sources, so a path costs one dict lookup after its first
    request; ``request.config`` is then a copy the request may change freely.
    """
    request = cast("Request", request)  # the kernel's own: its private fields are set below
    entry = entry_for_sources(request.app, tuple(sources), path)
    request._pipeline_entry = entry
    cls: type = request.__class__
    if cls in _config_fields_classes:
        # As on a cached walk: the entry's config, copied if the request asks for it.
        if request._own_config is not None:
            request._own_config = None
        request._shared_config = entry.config
    else:
        request.config = entry.config.copy()


def add_handler_config(request: RequestView, conf: dict[str, Any]) -> None:
    """Put a handler's own config (its ``_cp_config``) on top of what :func:`use_config` gave.

    Cached like :func:`use_config` when the request's config is still the one the
    dispatcher set; a config the request already changed is updated in place instead.
    """
    entry = cast("Request", request)._pipeline_entry
    config = request.config
    if entry is None or config != entry.config:
        if config is None:
            config = request.config = {}
        config.update(conf)
        return
    use_config(request, (*entry.sources, conf), entry.path)


_MethodType = types.MethodType
_walk_cache: dict[Any, tuple[Any, ...]] = {}
"""find_handler results keyed by (dispatcher, app, path, generations); see find_handler."""
# Request classes whose ``config`` is the kernel's own lazy property (registered by
# ``cherrypy.kernel.request``): the cached walk sets its two fields directly.
_config_fields_classes: set[type] = set()


def walk_cache_entry(dispatcher: Dispatcher, app: Application, path: str) -> tuple[Any, ...] | None:
    """The cached walk of ``path`` (see :meth:`Dispatcher.find_handler`) for the current
    generations, or None: ``(app, reads, func, vpath, entry, is_index, route, route_sn,
    suffix)``."""
    key = (id(dispatcher), id(app), path, _pipeline_module._generation, _config_module.generation())
    hit = _walk_cache.get(key)
    if hit is None or hit[0] is not app:
        return None
    return hit


def _plain_owners(reads: list[tuple[Any, str, Any]]) -> tuple[tuple[Any, str, Any], ...]:
    """``reads`` with each bound-method owner replaced by its function.

    A bound method hands the lookup of an attribute it does not define itself to its
    function, so the attribute read is the same; but a missing one (``_cp_config`` on most
    handlers) costs a formatted ``AttributeError`` when asked through the method, and none
    when asked of the function.
    """
    return tuple(
        (owner.__func__, attr, value)
        if owner.__class__ is _MethodType and not hasattr(_MethodType, attr)
        else (owner, attr, value)
        for owner, attr, value in reads
    )


def _global_config() -> dict[str, Any]:
    """``cherrypy.config``, the first source of every request's config."""
    return site.config  # type: ignore[return-value]


def expose(func: Any = None, alias: Any = None) -> Any:
    """Mark a method or class as reachable by URL; ``alias`` adds more names for it.

    Usable as ``@expose``, ``@expose()``, ``@expose(alias=...)`` and ``@expose('name')``.
    """

    def expose_(target: Any) -> Any:
        target.exposed = True
        if alias is not None:
            names = [alias] if isinstance(alias, (str, bytes)) else alias
            for extra in names:
                if isinstance(extra, bytes):
                    extra = extra.decode("ascii")
                parents[extra.replace(".", "_")] = target
        return target

    decoratable = (types.FunctionType, types.MethodType, type)
    if isinstance(func, decoratable):
        if alias is None:
            func.exposed = True  # type: ignore[union-attr]
            return func
        parents = sys._getframe(1).f_locals
        return expose_(func)
    parents = sys._getframe(1).f_locals
    if func is not None:
        alias = func
    return expose_


def popargs(*args: str, **kwargs: Any) -> Callable[..., Any]:
    """Turn leading path segments into named parameters (class decorator or ``_cp_dispatch``).

    ``@cherrypy.popargs('year', 'month')`` on a class maps ``/2024/05/`` to
    ``index(year='2024', month='05')``; ``handler=`` names the object (or a callable that
    builds it from the popped parameters) that handles the rest of the path.
    """
    handler = None
    for key, value in kwargs.items():
        if key != "handler":
            raise TypeError(f"cherrypy.popargs() got an unexpected keyword argument '{key}'")
        handler = value
    handler_is_factory = handler is not None and (callable(handler) or inspect.isclass(handler))

    def decorated(cls_or_self: Any = None, vpath: list[str] | None = None) -> Any:
        if inspect.isclass(cls_or_self):
            setattr(cls_or_self, Dispatcher.dispatch_method_name, decorated)
            return cls_or_self
        params: dict[str, str] = {}
        for name in args:
            if not vpath:
                break
            params[name] = vpath.pop(0)
        if handler is not None:
            if handler_is_factory:
                return handler(**params)
            serving.request.params.update(params)
            return handler
        serving.request.params.update(params)
        if vpath:
            return getattr(cls_or_self, vpath.pop(0), None)
        return cls_or_self

    return decorated
