"""The default dispatcher through WSGI: object-tree walk, handlers, arguments and config."""

from __future__ import annotations

import pytest

import cherrypy


class Sub:
    @cherrypy.expose
    def index(self):
        return "sub index"

    @cherrypy.expose
    def default(self, *args, **kwargs):
        return f"sub default {args!r} {sorted(kwargs.items())!r}"


class Leaf:
    """A callable object exposed through a class attribute."""

    exposed = True

    def __call__(self, *args, **kwargs):
        return f"leaf {args!r} {sorted(kwargs.items())!r}"


@cherrypy.expose
class ExposedClass:
    """A class exposed as a whole: its instance is called."""

    def __call__(self):
        return "exposed class called"


class CallableNotExposed:
    @cherrypy.expose
    def __call__(self):
        return "never"


class Root:
    sub = Sub()
    leaf = Leaf()
    exposedclass = ExposedClass()
    notexposed = CallableNotExposed()

    @cherrypy.expose
    def index(self):
        return "hello"

    @cherrypy.expose
    def page_html(self):
        return "page"

    @cherrypy.expose
    def args(self, a, b=None):
        return f"a={a} b={b}"

    @cherrypy.expose(["alias1", "alias.two"])
    def orig(self):
        return "orig"

    @cherrypy.expose("single")
    def named(self):
        return "single alias"

    @cherrypy.expose
    def vpath(self, *args):
        return repr(args)

    @cherrypy.expose
    def kwonly(self, *, flag):
        return f"flag={flag}"

    def hidden(self):
        return "hidden"


@pytest.fixture
def app(wsgi):
    cherrypy.tree.mount(Root())
    return wsgi


def test_index_and_nested_index(app):
    assert app.get("/").text == "hello"
    assert app.get("/sub/").text == "sub index"
    assert app.get("/sub/index").text == "sub index"


def test_default_method_takes_the_remaining_path(app):
    res = app.get("/sub/x/y", query="k=1&k=2")
    assert res.status == "200 OK"
    assert res.text == "sub default ('x', 'y') [('k', ['1', '2'])]"


def test_missing_handler_is_404_with_the_path(app):
    res = app.get("/nope")
    assert res.status == "404 Not Found"
    assert res.message == "The path '/nope' was not found."


def test_unexposed_methods_and_callables_are_not_reachable(app):
    assert app.get("/hidden").code == 404
    # An exposed __call__ does not make the instance itself exposed.
    assert app.get("/notexposed").code == 404


def test_exposed_class_and_callable_objects(app):
    assert app.get("/exposedclass").text == "exposed class called"
    assert app.get("/leaf").text == "leaf () []"
    assert app.get("/leaf/a/b", query="x=1").text == "leaf ('a', 'b') [('x', '1')]"


def test_punctuation_is_translated_to_underscores(app):
    assert app.get("/page.html").text == "page"
    assert app.get("/page_html").text == "page"


def test_expose_aliases(app):
    assert app.get("/alias1").text == "orig"
    assert app.get("/alias.two").text == "orig"
    assert app.get("/orig").text == "orig"
    assert app.get("/single").text == "single alias"
    assert app.get("/named").text == "single alias"


def test_virtual_path_segments_become_positional_arguments(app):
    assert app.get("/vpath/a/b%2Fc").text == "('a', 'b/c')"
    assert app.get("/args/1/2").text == "a=1 b=2"


def test_query_string_and_body_params_are_keyword_arguments(app):
    assert app.get("/args", query="a=1").text == "a=1 b=None"
    assert app.post("/args", "a=x&b=y").text == "a=x b=y"
    assert app.get("/kwonly", query="flag=on").text == "flag=on"


def test_missing_parameter_is_404_with_message(app):
    res = app.get("/args")
    assert res.status == "404 Not Found"
    assert res.message == "Missing parameters: a"


def test_unexpected_query_parameter_is_404(app):
    res = app.get("/args", query="a=1&c=2")
    assert res.status == "404 Not Found"
    assert res.message == "Unexpected query string parameters: c"


def test_unexpected_body_parameter_is_400(app):
    res = app.post("/args", "a=1&c=2")
    assert res.status == "400 Bad Request"
    assert res.message == "Unexpected body parameters: c"


def test_multiple_values_for_a_parameter(app):
    res = app.post("/args/1", "a=2")
    assert res.status == "400 Bad Request"
    assert res.message == "Multiple values for parameters: a"
    res = app.get("/args/1", query="a=2")
    assert res.status == "404 Not Found"
    assert res.message == "Multiple values for parameters: a"


def test_too_many_path_segments_is_404(app):
    res = app.get("/args/1/2/3")
    assert res.status == "404 Not Found"
    assert res.message == "Nothing matches the given URI"


def test_mismatch_messages_hidden_without_show_mismatched_params(app):
    cherrypy.config.update({"request.show_mismatched_params": False})
    res = app.get("/args")
    assert res.status == "404 Not Found"
    assert res.message == "Nothing matches the given URI"
    res = app.post("/args", "a=1&c=2")
    assert res.status == "400 Bad Request"
    assert res.message == "Bad request syntax or unsupported method"


def test_decorated_handler_mismatch_is_still_a_404(wsgi):
    import functools

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)

        return wrapper

    class R:
        @cherrypy.expose
        @decorate
        def index(self, required):
            return required

    cherrypy.tree.mount(R())
    assert wsgi.get("/", query="required=yes").text == "yes"
    res = wsgi.get("/")
    assert res.status == "404 Not Found"
    assert res.message == "Missing parameters: required"


def test_type_error_inside_a_handler_is_a_500(app):
    class Broken:
        @cherrypy.expose
        def index(self, a=None):
            return len(5)

    cherrypy.tree.mount(Broken(), "/broken")
    res = app.get("/broken/")
    assert res.status == "500 Internal Server Error"
    assert "TypeError: object of type 'int' has no len()" in res.traceback


class Disp:
    def _cp_dispatch(self, vpath):
        if vpath and vpath[0].isdigit():
            cherrypy.request.params["num"] = vpath.pop(0)
            return self.item
        return None

    @cherrypy.expose
    def item(self, num, sub=None):
        return f"item {num} {sub}"

    @cherrypy.expose
    def index(self):
        return "disp index"


@cherrypy.popargs("year", "month")
class Calendar:
    @cherrypy.expose
    def index(self, year=None, month=None):
        return f"calendar {year} {month}"

    @cherrypy.expose
    def show(self, year=None, month=None):
        return f"show {year} {month}"


class Band:
    def __init__(self, band_id=None):
        self.band_id = band_id

    @cherrypy.expose
    def index(self):
        return f"band {self.band_id}"

    @cherrypy.expose
    def albums(self):
        return f"albums of {self.band_id}"


class BandIndex:
    @cherrypy.expose
    def index(self, **kwargs):
        return f"band index {sorted(kwargs.items())!r}"


class Bands:
    _cp_dispatch = cherrypy.popargs("band_id", handler=Band)


class BandsToObject:
    _cp_dispatch = cherrypy.popargs("band_id", handler=BandIndex())


def test_cp_dispatch(wsgi):
    class R:
        disp = Disp()

    cherrypy.tree.mount(R())
    assert wsgi.get("/disp/").text == "disp index"
    assert wsgi.get("/disp/12").text == "item 12 None"
    assert wsgi.get("/disp/12/", query="sub=s").text == "item 12 s"
    assert wsgi.get("/disp/nope").code == 404


def test_popargs_on_a_class(wsgi):
    class R:
        cal = Calendar()

    cherrypy.tree.mount(R())
    assert wsgi.get("/cal/").text == "calendar None None"
    assert wsgi.get("/cal/2024/").text == "calendar 2024 None"
    assert wsgi.get("/cal/2024/05/").text == "calendar 2024 05"
    assert wsgi.get("/cal/2024/05/show").text == "show 2024 05"


def test_popargs_with_a_handler(wsgi):
    class R:
        bands = Bands()
        objects = BandsToObject()

    cherrypy.tree.mount(R())
    assert wsgi.get("/bands/7/").text == "band 7"
    assert wsgi.get("/bands/7/albums").text == "albums of 7"
    assert wsgi.get("/bands/").code == 404
    assert wsgi.get("/objects/8/").text == "band index [('band_id', '8')]"


def test_popargs_rejects_unknown_keywords():
    with pytest.raises(TypeError):
        cherrypy.popargs("a", other=1)


def test_query_string_values(wsgi):
    cherrypy.tree.mount(Root())
    res = wsgi.get("/leaf", query="a=1&a=2&b=%20x&c&d=%zz&e[]=1&e[]=2")
    assert (
        res.text
        == "leaf () [('a', ['1', '2']), ('b', ' x'), ('c', ''), ('d', '%zz'), ('e[]', ['1', '2'])]"
    )


# -- config precedence -----------------------------------------------------------------------


class ConfSub:
    _cp_config = {"my.key": "subclass", "my.class_only": "yes"}

    @cherrypy.expose
    def index(self):
        return repr(
            [
                cherrypy.request.config.get(k)
                for k in ("my.key", "my.class_only", "my.global", "my.app_root")
            ]
        )

    @cherrypy.expose
    @cherrypy.config(**{"my.key": "method"})
    def decorated(self):
        return cherrypy.request.config["my.key"]

    @cherrypy.expose
    def sectioned(self):
        return cherrypy.request.config["my.key"]


class ConfRoot:
    _cp_config = {"my.key": "rootclass"}
    sub = ConfSub()

    @cherrypy.expose
    def index(self):
        return cherrypy.request.config["my.key"]

    @cherrypy.expose
    def plain(self):
        return cherrypy.request.config["my.key"]


def test_config_precedence(wsgi):
    cherrypy.config.update({"my.key": "global", "my.global": "g"})
    cherrypy.tree.mount(
        ConfRoot(),
        "",
        {
            "/": {"my.key": "app root", "my.app_root": "r"},
            "/sub": {"my.key": "app /sub section"},
            "/sub/sectioned": {"my.key": "app /sub/sectioned section"},
        },
    )
    # A path section beats the _cp_config of the objects at the same or a higher level.
    assert wsgi.get("/").text == "app root"
    assert wsgi.get("/plain").text == "app root"
    assert wsgi.get("/sub/").text == "['app /sub section', 'yes', 'g', 'r']"
    assert wsgi.get("/sub/sectioned").text == "app /sub/sectioned section"
    # The handler's own _cp_config comes after the /sub section.
    assert wsgi.get("/sub/decorated").text == "method"


def test_class_config_applies_without_app_sections(wsgi):
    cherrypy.config.update({"my.key": "global"})
    cherrypy.tree.mount(ConfRoot())
    assert wsgi.get("/").text == "rootclass"
    assert wsgi.get("/sub/decorated").text == "method"
    assert wsgi.get("/sub/").text == "['subclass', 'yes', None, None]"


def test_request_dispatch_from_app_config(wsgi):
    class EchoDispatcher:
        def __call__(self, path_info):
            request = cherrypy.request
            request.config = dict(cherrypy.config)
            request.handler = lambda: f"custom {path_info}".encode()

    cherrypy.tree.mount(Root(), "", {"/custom": {"request.dispatch": EchoDispatcher()}})
    cherrypy.tree.mount(Root(), "/other", {"/": {"request.dispatch": EchoDispatcher()}})
    assert wsgi.get("/custom/x/y").text == "custom /custom/x/y"
    assert wsgi.get("/").text == "hello"
    assert wsgi.get("/other/abc").text == "custom /abc"


def test_dispatcher_translate_argument():
    Dispatcher = cherrypy.dispatch.Dispatcher

    with pytest.raises(ValueError, match=r"The translate argument must be a dict\."):
        Dispatcher(translate="not a table")


def test_dispatcher_with_custom_translation(wsgi):
    import string

    Dispatcher = cherrypy.dispatch.Dispatcher

    table = str.maketrans(string.punctuation.replace("-", ""), "_" * (len(string.punctuation) - 1))
    table[ord("-")] = "X"
    cherrypy.tree.mount(Root(), "", {"/": {"request.dispatch": Dispatcher(translate=table)}})

    class Dashes:
        @cherrypy.expose
        def aXb(self):
            return "dash translated"

    cherrypy.tree.mount(Dashes(), "/d", {"/": {"request.dispatch": Dispatcher(translate=table)}})
    assert wsgi.get("/d/a-b").text == "dash translated"
    assert wsgi.get("/page.html").text == "page"
