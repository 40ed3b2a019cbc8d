"""Reading installed distributions' entry points: the one place that reads package metadata.

Both the plugin manager (``cherrypy.plugins``) and the compat table (``cherrypy.compat``)
read their groups through :func:`iter_entry_points`, and both warn with
:class:`PluginLoadWarning` about an entry that cannot be loaded.
"""

from __future__ import annotations

from importlib import metadata

__all__ = ["PluginLoadWarning", "iter_entry_points"]


class PluginLoadWarning(UserWarning):
    """Emitted when an installed plugin cannot be imported or registered."""


def iter_entry_points(group: str) -> list[metadata.EntryPoint]:
    """Return the entry points of ``group`` from the distributions on ``sys.path``.

    The single place where plugin and compat loading read package metadata.
    """
    return list(metadata.entry_points(group=group))
