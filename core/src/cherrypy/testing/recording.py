"""A stand-in pipeline for a tool's unit tests (``cherrypy.testing.RecordingPipeline``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["RecordingPipeline"]


class RecordingPipeline:
    """Stands in for :class:`cherrypy.plugin.PipelineBuilder` in a tool's unit tests.

    ``tool.compile(pipeline, settings)`` then leaves what it attached in :attr:`attached`,
    as ``(point, callback, priority, kwargs)`` tuples, and an error response in
    :attr:`error_response`.
    """

    def __init__(self) -> None:
        self.attached: list[tuple[str, Callable[..., Any], int | None, dict[str, Any]]] = []
        self.error_response: Callable[[], Any] | None = None

    def attach(
        self,
        point: str,
        callback: Callable[..., Any],
        failsafe: bool | None = None,
        priority: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Record one callback attached to ``point``."""
        self.attached.append((point, callback, priority, kwargs))

    def set_error_response(self, callback: Callable[[], Any]) -> None:
        """Record the error response the tool sets."""
        self.error_response = callback
