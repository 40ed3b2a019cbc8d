"""Request observers: the seam metrics, tracing and request-id plugins are built on.

An observer (:class:`RequestObserver`) is told when each request served by ``cherrypy.tree``
starts and when it is finished (its body handed to the server, or failed).  Observers are
registered with :func:`add_request_observer`; the request path reads one module attribute
(:data:`active`) and does nothing more while no observer is registered and no request-id
header is wanted.

The kernel calls:

* :func:`begin` when a request's headers are parsed (before any tool, hook or dispatch);
* :func:`finish` from ``Application.release_serving``, in the thread that closes the response;
* :func:`begin` and :func:`finish` for the tree's own 404 (no application mounted at the
  path), from ``cherrypy.kernel.tree``.

The per-request state lives in an :class:`Observation` stored as ``request._observation``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cherrypy.kernel.runtime import site

if TYPE_CHECKING:
    from cherrypy.kernel.views import RequestView, ResponseView

__all__ = [
    "OBSERVATION_KEY",
    "REQUEST_ID_HEADER",
    "STORED_HEADER_NAME",
    "CountingBody",
    "Observation",
    "RequestObserver",
    "abandon",
    "active",
    "add_request_observer",
    "begin",
    "begin_late",
    "escaped",
    "finish",
    "finish_observation",
    "observers",
    "record_error",
    "remove_request_observer",
    "request_id_header_wanted",
    "reset",
    "want_request_id_header",
    "wrap_body",
]

REQUEST_ID_HEADER = "X-Request-ID"
"""The request and response header carrying the request id."""

OBSERVATION_KEY = "cherrypy.observation"
"""The environ key that carries an observation across an internal redirect."""


@runtime_checkable
class RequestObserver(Protocol):
    """Something told about every request: a metrics collector, a tracer.

    Both methods run on the request path: keep them short, and compute what can be computed
    once (labels per route) outside it.  An exception they raise is written to the error log
    and never reaches the client.
    """

    def request_started(self, request: RequestView) -> object:
        """Called in the request's thread once its headers are parsed, before any tool, hook
        or dispatch.  Returns an opaque state handed back to :meth:`request_finished`."""

    def request_finished(
        self,
        request: RequestView,
        response: ResponseView,
        state: object,
        error: BaseException | None,
        body_bytes: int,
    ) -> None:
        """Called once per request, in the thread that closes the response, after the body
        was handed to the server (or sending it failed).

        ``response`` has its final ``status`` and ``output_status``; ``error`` is the
        unexpected exception the request failed with (``None`` for a normal answer, an
        ``HTTPError`` or an ``HTTPRedirect``); ``body_bytes`` counts the body bytes handed to
        the server.
        """


observers: tuple[RequestObserver, ...] = ()
"""The registered observers, in registration order (replaced, never mutated)."""

request_id_header_wanted = False
"""Whether every response carries ``X-Request-ID`` (see :func:`want_request_id_header`)."""

active = False
"""``observers or request_id_header_wanted``: the one flag the request path tests."""


def _refresh() -> None:
    global active
    active = bool(observers) or request_id_header_wanted


def add_request_observer(observer: RequestObserver) -> None:
    """Call ``observer`` for every request from now on (adding it twice changes nothing)."""
    global observers
    if observer not in observers:
        observers = (*observers, observer)
    _refresh()


def remove_request_observer(observer: RequestObserver) -> None:
    """Stop calling ``observer`` (requests already started still finish with it)."""
    global observers
    observers = tuple(known for known in observers if known is not observer)
    _refresh()


def want_request_id_header(owner: str = "plugin", wanted: bool = True) -> None:
    """Make every response carry ``X-Request-ID: <request.id>`` while some owner wants it.

    Metrics, tracing and JSON-log plugins call it when they are switched on (``owner`` names
    them: ``"metrics"``, ``"otel"``, ``"log.format"``), so that a client (or a proxy) can quote
    the id found in the logs and spans, and again with ``wanted=False`` when they are
    switched off.  The header is added while at least one owner wants it.
    """
    global request_id_header_wanted, _header_owners
    if wanted:
        _header_owners = _header_owners | {owner}
    else:
        _header_owners = _header_owners - {owner}
    request_id_header_wanted = bool(_header_owners)
    _refresh()


_header_owners: frozenset[str] = frozenset()


def reset() -> None:
    """Forget every observer and the request-id header (for test suites)."""
    global observers, request_id_header_wanted, _header_owners
    observers = ()
    _header_owners = frozenset()
    request_id_header_wanted = False
    _refresh()


class Observation:
    """What the kernel keeps about one observed request (``request._observation``).

    The class attributes are the defaults; an instance sets only what differs (a request
    that goes well sets ``observers`` and ``states`` alone).
    """

    error: BaseException | None = None
    """The unexpected exception the request failed with."""
    escaped = False
    """True when ``error`` escaped the kernel (the server answers 500)."""
    body: CountingBody | None = None
    """The counting wrapper around a body that is not a list (streamed, file chunks)."""
    redirected = False
    """True while an internal redirect carries the observation to the next request."""

    def __init__(self, observers: tuple[RequestObserver, ...]) -> None:
        self.observers = observers
        self.states: list[object] = []


def _log_failure(observer: Any, method: str) -> None:
    try:
        site.log(f"Request observer {observer!r} failed in {method}", "HTTP", 40, True)
    except Exception:
        pass  # logging must not fail the request either


_set_header = dict.__setitem__
STORED_HEADER_NAME = "X-Request-Id"
"""``REQUEST_ID_HEADER`` as ``response.headers`` stores it (title case)."""


def begin(request: Any, response: Any) -> None:
    """Start observing ``request`` (the kernel calls it while :data:`active`).

    Sets ``X-Request-ID`` on the response when wanted; creates the request's
    :class:`Observation` (or takes over the one an internal redirect carried) and calls the
    observers' ``request_started``.
    """
    if request_id_header_wanted:
        _set_header(response.headers, STORED_HEADER_NAME, request.id)
    if request._observation is not None:
        return
    if request.prev is not None:
        carried = request.wsgi_environ.get(OBSERVATION_KEY)
        if carried is not None and carried.redirected:
            carried.redirected = False
            request._observation = carried
            return
    current = observers
    if current:
        observation = request._observation = Observation(current)
        states = observation.states
        for observer in current:
            try:
                state = observer.request_started(request)
            except Exception:
                state = None
                _log_failure(observer, "request_started")
            states.append(state)


def begin_late(request: Any, response: Any, error: BaseException | None = None) -> None:
    """:func:`begin` for a request that failed before it began (a malformed header), and
    record ``error`` as the request's error when it is not an ``HTTPError``/redirect."""
    if request._observation is None or request_id_header_wanted:
        begin(request, response)
    observation = request._observation
    if observation is not None and error is not None and observation.error is None:
        observation.error = error


def record_error(request: Any, error: BaseException) -> None:
    """Remember ``error`` as the observed request's error (first one wins)."""
    observation = request._observation
    if observation is not None and observation.error is None:
        observation.error = error


def wrap_body(request: Any, iterator: Iterator[bytes]) -> Iterator[bytes]:
    """The body iterator handed to the server, counting bytes when the request is observed."""
    observation = request._observation
    if observation is None:
        return iterator
    body = observation.body = CountingBody(iterator)
    return body


def escaped(environ: dict[str, Any], request: Any, error: BaseException) -> None:
    """``error`` escaped the kernel (the server answers 500), or an internal redirect
    (``InternalRedirect``) hands the request over: then the observation goes with it."""
    from cherrypy.kernel.context import serving
    from cherrypy.kernel.errors import InternalRedirect

    if request is None or not hasattr(request, "_observation"):
        return
    if isinstance(error, InternalRedirect):
        observation = request._observation
        if observation is not None:
            observation.redirected = True
            environ[OBSERVATION_KEY] = observation
        return
    begin_late(request, serving.response, error)
    observation = request._observation
    if observation is not None:
        observation.escaped = True


def abandon(environ: dict[str, Any], request: Any, error: BaseException) -> None:
    """Finish the observation an internal redirect carried when the redirect is refused
    (a loop): the server answers 500."""
    from cherrypy.kernel.response import Response

    observation = environ.get(OBSERVATION_KEY)
    if observation is None or not observation.redirected:
        return
    observation.redirected = False
    observation.error = error
    observation.escaped = True
    response = Response()
    response.body = []
    finish_observation(observation, request, response)


def finish(request: Any, response: Any) -> None:
    """Call ``request_finished`` for ``request`` unless an internal redirect carries it on."""
    observation = request._observation
    if observation is not None:
        finish_observation(observation, request, response)


def finish_observation(observation: Observation, request: Any, response: Any) -> None:
    """Work out the body bytes and the error, then call every observer's ``request_finished``
    (once: the observation forgets its observers first, whatever happens next)."""
    observers = observation.observers
    if observation.redirected or not observers:
        return
    counted = observation.body
    if counted is not None:
        body_bytes = counted.count
        if observation.error is None:
            if counted.error is not None:
                observation.error = counted.error
            elif not counted.done:
                # Closed before the last chunk: the client went away (or the server gave up).
                pending = sys.exc_info()[1]
                if pending is not None:
                    observation.error = pending
    elif observation.escaped:
        body_bytes = 0
    else:
        body = response.body
        body_bytes = sum(map(len, body)) if body.__class__ is list else _sent_bytes(response)
    if observation.escaped:
        response.status = "500 Internal Server Error"
        response.output_status = b"500 Internal Server Error"
    observation.observers = ()
    error = observation.error
    for observer, state in zip(observers, observation.states, strict=False):
        try:
            observer.request_finished(request, response, state, error, body_bytes)
        except Exception:
            _log_failure(observer, "request_finished")


def _sent_bytes(response: Any) -> int:
    """The body bytes of a response whose body is not a list and was not counted chunk by
    chunk: its ``Content-Length``."""
    length = response.headers.get("Content-Length")
    try:
        return int(length) if length is not None else 0
    except (TypeError, ValueError):
        return 0


class CountingBody:
    """A response body iterator that counts the bytes it hands to the server."""

    __slots__ = ("count", "done", "error", "iterator")

    def __init__(self, iterator: Iterator[bytes]) -> None:
        self.iterator = iterator
        self.count = 0
        self.done = False
        self.error: BaseException | None = None

    def __iter__(self) -> CountingBody:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self.iterator)
        except StopIteration:
            self.done = True
            raise
        except BaseException as exc:
            self.error = exc
            raise
        self.count += len(chunk)
        return chunk

    def close(self) -> None:
        """Close the wrapped iterator (a generator's ``finally`` blocks run)."""
        close = getattr(self.iterator, "close", None)
        if close is not None:
            close()
