"""Sphinx extension: the ``config-reference`` directive renders every declared config key.

The keys come from the ``cherrypy_config_keys`` declarations of the kernel and of every
installed distribution (:func:`cherrypy.kernel.configkeys.collect`), read when the page is
built, so the reference cannot drift from the code.  In a Markdown page::

    ```{config-reference}
    ```

renders one section per namespace (its scope, whether it is open, the distribution that
provides it) with a table of its keys: type, default, description and distribution.

:func:`reference_tables` is the data behind the page; it needs no Sphinx, so tests use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KeyRow", "NamespaceTable", "reference_tables", "setup"]

TOP_LEVEL = "(no namespace)"
"""The title of the table of keys without a namespace (``environment``)."""

_SCOPES = {
    "global": "global config (cherrypy.config.update)",
    "app": "application config",
    "request": "path sections and _cp_config",
}


@dataclass(frozen=True)
class KeyRow:
    """One line of a namespace table."""

    key: str
    type: str
    default: str
    doc: str
    provider: str


@dataclass
class NamespaceTable:
    """One namespace of the reference: its description and its keys."""

    name: str
    doc: str
    scope: str
    open: bool
    provider: str
    rows: list[KeyRow] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The HTML id of the namespace's section."""
        return "config-" + (re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "top")


def reference_tables(registry: Any = None) -> list[NamespaceTable]:
    """Every declared namespace with its keys, sorted by name (keys without one first)."""
    from cherrypy.kernel import configkeys

    if registry is None:
        registry = configkeys.collect()
    if registry.errors:
        raise RuntimeError("config key declarations failed: " + "; ".join(registry.errors))
    names = set(registry.namespaces) | {key.namespace for key in registry.declarations()}
    tables = []
    for name in sorted(names):
        declared = registry.namespaces.get(name)
        keys = registry.declarations(name)
        if declared is not None:
            table = NamespaceTable(
                name or TOP_LEVEL,
                declared.doc,
                declared.scope,
                declared.open,
                declared.provider or "",
            )
        else:
            providers = sorted({key.provider or "" for key in keys})
            table = NamespaceTable(name or TOP_LEVEL, "", "global", False, ", ".join(providers))
        table.rows = [
            KeyRow(key.fullname, key.type, key.default_text, key.doc, key.provider or "")
            for key in keys
        ]
        tables.append(table)
    return tables


# ------------------------------------------------------------------------------- rendering

_INLINE = re.compile(r"(?::[a-z:]+:)?`{1,2}([^`]+)`{1,2}")


def _inline(text: str) -> list[Any]:
    """Docutils nodes for ``text``: ``literal`` and :role:`target` spans become literals."""
    from docutils import nodes

    found: list[Any] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            found.append(nodes.Text(text[position : match.start()]))
        found.append(nodes.literal(text=match.group(1).lstrip("~")))
        position = match.end()
    if position < len(text):
        found.append(nodes.Text(text[position:]))
    return found


def _cell(*children: Any) -> Any:
    from docutils import nodes

    entry = nodes.entry()
    paragraph = nodes.paragraph()
    paragraph.extend(children)
    entry += paragraph
    return entry


def _table(rows: list[KeyRow]) -> Any:
    from docutils import nodes

    table = nodes.table(classes=["config-reference"])
    group = nodes.tgroup(cols=5)
    table += group
    for width in (28, 14, 14, 44, 16):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    header = nodes.row()
    for title in ("key", "type", "default", "description", "distribution"):
        header += _cell(nodes.Text(title))
    head += header
    group += head
    body = nodes.tbody()
    for row in rows:
        line = nodes.row()
        line += _cell(nodes.literal(text=row.key))
        line += _cell(nodes.Text(row.type))
        line += _cell(nodes.literal(text=row.default) if row.default else nodes.Text(""))
        line += _cell(*_inline(row.doc))
        line += _cell(nodes.Text(row.provider))
        body += line
    group += body
    return table


def _section(table: NamespaceTable) -> Any:
    from docutils import nodes

    section = nodes.section(ids=[table.anchor], names=[table.anchor])
    title = nodes.title()
    title += nodes.literal(text=table.name)
    section += title
    kind = (
        "open: keys of your own are accepted, near misses of these are reported"
        if table.open
        else "closed: any other key is reported by the checker"
    )
    facts = f" Scope: {_SCOPES.get(table.scope, table.scope)}; {kind}."
    if table.provider:
        facts += f" Provided by {table.provider}."
    summary = nodes.paragraph()
    summary.extend(_inline(table.doc))
    summary += nodes.Text(facts)
    section += summary
    if table.rows:
        section += _table(table.rows)
    return section


def _pages_using_directive(app: Any, env: Any, added: Any, changed: Any, removed: Any) -> list[str]:
    return [name for name in env.found_docs if name == "config-reference"]


def setup(app: Any) -> dict[str, Any]:
    """Register the ``config-reference`` directive."""
    from sphinx.util.docutils import SphinxDirective

    class ConfigReference(SphinxDirective):
        """Render the reference of every declared config namespace and key."""

        has_content = False

        def run(self) -> list[Any]:
            return [_section(table) for table in reference_tables()]

    app.add_directive("config-reference", ConfigReference)
    # The declarations live in the installed code, which Sphinx does not watch: re-read the
    # pages using the directive on every build.
    app.connect("env-get-outdated", _pages_using_directive)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
