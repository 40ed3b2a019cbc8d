"""Messages as ws4py shaped them: what :meth:`WebSocket.received_message` receives.

A message is complete when a callback sees it (fragments are joined first).  ``.data`` is the
payload as bytes, ``str(message)`` the text, ``.is_text`` / ``.is_binary`` its kind, as in
``ws4py.messaging``; :class:`PongControlMessage` is what :meth:`WebSocket.ponged` receives.
"""

from __future__ import annotations

__all__ = ["BinaryMessage", "Message", "PongControlMessage", "TextMessage"]

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_PONG = 0xA


class Message:
    """A complete WebSocket message: ``opcode``, ``data`` (bytes) and ``encoding``."""

    __slots__ = ("_data", "_text", "encoding", "opcode")

    is_text = False
    """True for a text message."""

    is_binary = False
    """True for a binary message."""

    completed = True
    """Always True: a callback only ever sees whole messages (ws4py compatibility)."""

    def __init__(self, opcode: int, data: bytes | str = b"", encoding: str | None = "utf-8"):
        self.opcode = opcode
        self.encoding = encoding
        self._text: str | None = None
        if isinstance(data, str):
            self._text = data
            self._data: bytes | None = None
        else:
            self._data = bytes(data)

    @property
    def data(self) -> bytes:
        """The payload, as bytes (a text message's UTF-8 encoding)."""
        if self._data is None:
            assert self._text is not None
            self._data = self._text.encode("utf-8")
        return self._data

    def __str__(self) -> str:
        if self._text is None:
            self._text = self.data.decode(self.encoding or "utf-8")
        return self._text

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self)} bytes>"


class TextMessage(Message):
    """A text message: ``str(message)`` is its text, ``.data`` the UTF-8 bytes."""

    __slots__ = ()
    is_text = True

    def __init__(self, text: str | bytes = "") -> None:
        super().__init__(OPCODE_TEXT, text, "utf-8")

    def __len__(self) -> int:
        return len(str(self))


class BinaryMessage(Message):
    """A binary message: ``.data`` is the payload."""

    __slots__ = ()
    is_binary = True

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(OPCODE_BINARY, data, None)

    def __str__(self) -> str:
        # ws4py decodes with the message's encoding; a binary message has none: be lenient.
        return self.data.decode("utf-8", "replace")


class PongControlMessage(Message):
    """A pong received from the peer (``.data`` is its payload)."""

    __slots__ = ()

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(OPCODE_PONG, data)
