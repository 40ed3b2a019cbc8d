"""``tools.session_auth``: form login on top of sessions, as in CherryPy.

The tool runs before the handler.  Requests whose path ends in ``login_screen`` get the login
form, ``do_login`` (POST) checks the credentials with ``check_username_and_password`` and
redirects to ``from_page``, ``do_logout`` (POST) forgets the user; on any other path the
session must hold a user name (``session_key``, or one from ``anonymous()``) or the login
form is served instead of the page.  Every attribute of :class:`SessionAuth` can be set as
``tools.session_auth.<name>`` in config.

Safer than CherryPy's: the login form escapes what it echoes (CherryPy's put ``from_page``,
``username`` and the error message into the HTML as given), ``from_page`` may only lead back
to this site (no open redirect), the session id changes at login and at logout (no session
fixation), and a ``do_login`` without credentials is a 400, not a 500.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from cherrypy.plugin import HandlerTool, HTTPError, HTTPRedirect, serving

__all__ = ["SessionAuth", "SessionAuthTool", "safe_redirect_target", "session_auth"]

_LOGIN_FORM = """<html><body>
Message: {error_msg}
<form method="post" action="do_login">
    Login: <input type="text" name="username" value="{username}" size="10" />
    <br />
    Password: <input type="password" name="password" size="10" />
    <br />
    <input type="hidden" name="from_page" value="{from_page}" />
    <br />
    <input type="submit" />
</form>
</body></html>"""


def safe_redirect_target(target: Any, fallback: str = "/") -> str:
    """``target`` if it stays on this site (a relative URL or this request's origin), else
    ``fallback``."""
    if not isinstance(target, str) or not target:
        return fallback
    if any(ord(char) < 32 or char == "\\" for char in target):
        return fallback
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and not target.startswith("//"):
        return target
    base = urlsplit(serving.request.base)
    if (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
        return target
    return fallback


class SessionAuth:
    """Form authentication kept in the session; override the hooks to plug in your users."""

    session_key = "username"
    """The session key that holds the logged-in user name."""

    debug = False
    """Log what the tool does (context ``TOOLS.SESSAUTH``)."""

    def check_username_and_password(self, username: str, password: str) -> str | None:
        """Return an error message if the credentials are wrong, else None."""

    def anonymous(self) -> str | None:
        """A user name for visitors who have not logged in (None: they must log in)."""

    def on_login(self, username: str) -> None:
        """Called after a successful login."""

    def on_logout(self, username: str) -> None:
        """Called after a logout."""

    def on_check(self, username: str) -> None:
        """Called on each request of a logged-in user."""

    def login_screen(
        self, from_page: str = "..", username: str = "", error_msg: str = "", **kwargs: Any
    ) -> bytes:
        """The login form (bytes); every value it shows is HTML-escaped."""
        page = _LOGIN_FORM.format(
            error_msg=html.escape(str(error_msg or "")),
            username=html.escape(str(username or "")),
            from_page=html.escape(str(from_page or "")),
        )
        return page.encode("utf-8")

    def _set_page(self, body: bytes) -> None:
        response = serving.response
        response.body = body
        if "Content-Length" in response.headers:
            del response.headers["Content-Length"]

    def do_login(
        self,
        username: str | None = None,
        password: str | None = None,
        from_page: str = "..",
        **kwargs: Any,
    ) -> bool:
        """Check the credentials: show the form again with the error, or log in and redirect."""
        if username is None or password is None:
            raise HTTPError(400, "do_login needs a username and a password")
        error_msg = self.check_username_and_password(username, password)
        if error_msg:
            self._set_page(self.login_screen(from_page, username, error_msg))
            return True
        session = serving.session
        session.regenerate()
        serving.request.login = username
        session[self.session_key] = username
        self.on_login(username)
        raise HTTPRedirect(safe_redirect_target(from_page))

    def do_logout(self, from_page: str = "..", **kwargs: Any) -> bool:
        """Forget the user and redirect to ``from_page``."""
        session = serving.session
        username = session.get(self.session_key)
        session[self.session_key] = None
        session.regenerate()
        if username:
            serving.request.login = None
            self.on_logout(username)
        raise HTTPRedirect(safe_redirect_target(from_page))

    def do_check(self) -> bool | None:
        """Let a logged-in (or anonymous) user through; otherwise serve the login form."""
        from cherrypy.plugin import url

        session = serving.session
        request = serving.request
        username = session.get(self.session_key)
        if not username:
            session[self.session_key] = username = self.anonymous()
            self._debug_message("No session[username], trying anonymous")
        if not username:
            from_page = url(qs=request.query_string)
            self._debug_message(
                f"No username, routing to login_screen with from_page {from_page!r}"
            )
            self._set_page(self.login_screen(from_page))
            return True
        self._debug_message(f"Setting request.login to {username!r}")
        request.login = username
        self.on_check(username)
        return None

    def _debug_message(self, message: str) -> None:
        if self.debug:
            import cherrypy

            cherrypy.log(message, "TOOLS.SESSAUTH")

    def run(self) -> bool | None:
        """Route the request: login form, login, logout, or the check; True if handled."""
        request = serving.request
        path = request.path_info
        if path.endswith("login_screen"):
            self._debug_message(f"routing {path!r} to login_screen")
            self._set_page(self.login_screen())
            return True
        if path.endswith("do_login"):
            if request.method != "POST":
                serving.response.headers["Allow"] = "POST"
                raise HTTPError(405)
            self._debug_message(f"routing {path!r} to do_login")
            return self.do_login(**request.params)
        if path.endswith("do_logout"):
            if request.method != "POST":
                serving.response.headers["Allow"] = "POST"
                raise HTTPError(405)
            self._debug_message(f"routing {path!r} to do_logout")
            return self.do_logout(**request.params)
        self._debug_message("No special path, running do_check")
        return self.do_check()


def session_auth(**kwargs: Any) -> bool | None:
    """Run :class:`SessionAuth` with its attributes overridden by ``kwargs``; True if handled."""
    auth = SessionAuth()
    for key, value in kwargs.items():
        setattr(auth, key, value)
    return auth.run()


class SessionAuthTool(HandlerTool):
    """``cherrypy.tools.session_auth``: a handler tool around :func:`session_auth`."""
