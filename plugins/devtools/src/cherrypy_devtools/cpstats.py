"""``cherrypy.lib.cpstats``: statistics collection (``tools.cpstats``) and reporting.

The names of CherryPy's module, gathered from :mod:`cherrypy_devtools.statistics` (the data
and the tool) and :mod:`cherrypy_devtools.statspage` (the page).  Typical use::

    from cherrypy.lib import cpstats

    conf = {"/": {"tools.cpstats.on": True}}
    root.cpstats = cpstats.StatsPage()   # for operators only: do not expose publicly
"""

from __future__ import annotations

from .statistics import (
    ByteCountWrapper,
    StatsTool,
    appstats,
    average_uriset_time,
    extrapolate_statistics,
    proc_time,
    statistics,
)
from .statspage import StatsPage, iso_format, locale_date, pause_resume

__all__ = [
    "ByteCountWrapper",
    "StatsPage",
    "StatsTool",
    "appstats",
    "average_uriset_time",
    "extrapolate_statistics",
    "iso_format",
    "locale_date",
    "pause_resume",
    "proc_time",
    "statistics",
]
