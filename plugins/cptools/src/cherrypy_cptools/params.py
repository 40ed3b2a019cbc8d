"""``tools.params``: convert request parameters with the page handler's annotations.

A handler ``def page(self, n: int, ratio: float = 1.0)`` receives ``n`` and ``ratio``
already converted; a value the annotation cannot convert answers ``400 Bad Request``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cherrypy.plugin import HTTPError, serving

__all__ = ["convert_params"]


@lru_cache(maxsize=1024)
def _converters(func: Callable[..., Any]) -> dict[str, Callable[[Any], Any]]:
    """Parameter name -> converter for the annotated parameters of ``func``."""
    raw = getattr(func, "__annotations__", None) or {}
    if any(isinstance(value, str) for value in raw.values()):
        # Postponed annotations (``from __future__ import annotations``) are strings.
        try:
            raw = typing.get_type_hints(func)
        except Exception:
            raw = {key: value for key, value in raw.items() if not isinstance(value, str)}
    converters: dict[str, Callable[[Any], Any]] = {}
    for name, annotation in raw.items():
        if name == "return":
            continue
        converter = _converter_for(annotation)
        if converter is not None:
            converters[name] = converter
    return converters


def _converter_for(annotation: Any) -> Callable[[Any], Any] | None:
    """A callable converting one parameter value, or None to leave it alone."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _converter_for(members[0])
        return None
    if origin is not None or annotation is Any:
        return None
    if annotation is bool:
        return _to_bool
    if callable(annotation):
        return annotation  # type: ignore[no-any-return]
    return None


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _to_bool(value: Any) -> bool:
    """Read a form or query-string boolean; anything unknown is a ``ValueError``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean")


def convert_params(
    exception: type[BaseException] | tuple[type[BaseException], ...] = ValueError,
    error: int = 400,
) -> None:
    """Convert ``request.params`` with the handler's annotations (``tools.params``).

    A conversion that raises ``exception`` (``ValueError`` by default) becomes HTTP
    ``error`` (400 by default) with the exception's text as the message.  Repeated
    parameters (lists) are converted item by item.  Runs at ``before_handler``, priority 15.
    """
    request = serving.request
    func = getattr(request.handler, "callable", None)
    if func is None:
        return
    try:
        converters = _converters(func)
    except TypeError:  # unhashable callable: compute without the cache
        converters = _converters.__wrapped__(func)
    if not converters:
        return
    params = request.params
    with HTTPError.handle(exception, error):
        for name in converters.keys() & params.keys():
            convert = converters[name]
            value = params[name]
            if isinstance(value, list):
                params[name] = [convert(item) for item in value]
            else:
                params[name] = convert(value)
