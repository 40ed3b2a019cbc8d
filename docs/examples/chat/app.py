"""A chat room, over WebSockets and over Server-Sent Events, on http://127.0.0.1:8080.

Run it with ``python docs/examples/chat/app.py`` (cherrypy-server and cherrypy-websocket
installed) and open http://127.0.0.1:8080/ in two browser windows.

- ``/websocket``: the chat page talking over a WebSocket (``/ws``, a ``ChatSocket``);
- ``/sse``: the same page receiving with ``EventSource`` (``/events``, an ``EventStream``)
  and sending with a plain ``POST /post``.

Both pages are in the same room: whatever arrives, over either transport, is sent to every
WebSocket (the ``websocket-broadcast`` engine channel) and every event stream (``hub``).
No connection holds a worker thread while it waits.
"""

import json
from pathlib import Path

import cherrypy
from cherrypy_websocket import EventHub, EventStream, WebSocket

PAGE = (Path(__file__).resolve().parent / "chat.html").read_text(encoding="utf-8")
MAX_NAME = 40
MAX_TEXT = 1000

hub = EventHub(replay=50)  # a page that reconnects gets what it missed (Last-Event-ID)


def say(name, text):
    """Send one chat line to everyone, over both transports."""
    name, text = str(name).strip()[:MAX_NAME] or "anonymous", str(text).strip()[:MAX_TEXT]
    if not text:
        return False
    line = json.dumps({"name": name, "text": text})
    hub.publish(line)
    cherrypy.engine.publish("websocket-broadcast", line)
    return True


class ChatSocket(WebSocket):
    """One browser on ``/ws``: every text message it sends is a JSON ``{name, text}``."""

    def received_message(self, message):
        try:
            data = json.loads(str(message))
            name, text = data["name"], data["text"]
        except (ValueError, KeyError, TypeError):
            self.close(1003, 'send JSON: {"name": ..., "text": ...}')
            return
        say(name, text)


class Chat:
    @cherrypy.expose
    def index(self):
        return (
            "<!doctype html><title>Chat</title><h1>Chat</h1><ul>"
            '<li><a href="websocket">over a WebSocket</a></li>'
            '<li><a href="sse">over Server-Sent Events</a></li></ul>'
        )

    @cherrypy.expose
    def websocket(self):
        return PAGE.replace("{{transport}}", "websocket")

    @cherrypy.expose
    def sse(self):
        return PAGE.replace("{{transport}}", "sse")

    @cherrypy.expose
    def ws(self):
        """The WebSocket endpoint: tools.websocket (see CONFIG) did the handshake."""

    @cherrypy.expose
    def events(self):
        stream = EventStream(retry=2000)
        hub.add(stream)
        return stream

    @cherrypy.expose
    def post(self, name="", text=""):
        if cherrypy.request.method != "POST":
            cherrypy.response.headers["Allow"] = "POST"
            raise cherrypy.HTTPError(405)
        if not say(name, text):
            raise cherrypy.HTTPError(400, "Say something.")
        cherrypy.response.status = 204


CONFIG = {"/ws": {"tools.websocket.on": True, "tools.websocket.handler_cls": ChatSocket}}

if __name__ == "__main__":
    cherrypy.config.update({"server.socket_host": "127.0.0.1", "server.socket_port": 8080})
    cherrypy.quickstart(Chat(), "/", CONFIG)
