"""Which ``Content-Type`` a file is served with.

The answer must not depend on the host: :mod:`mimetypes` reads the system's ``mime.types``
files, which differ between machines (``.js`` is ``application/javascript`` on some and
``text/javascript`` on others).  So the types a web site serves every day come from
:data:`WEB_TYPES`, a table of this module, and :mod:`mimetypes` only answers for the other
extensions.  A file whose type nobody knows is ``application/octet-stream``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_TYPE", "WEB_TYPES", "extension_of", "guess_type"]

DEFAULT_TYPE = "application/octet-stream"
"""The type of a file whose extension is unknown (CherryPy leaves ``text/html`` there)."""

WEB_TYPES: dict[str, str] = {
    # documents and code
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".jsonld": "application/ld+json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".ics": "text/calendar",
    ".vtt": "text/vtt",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
    ".pdf": "application/pdf",
    # images
    ".png": "image/png",
    ".apng": "image/apng",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".ico": "image/x-icon",
    ".dwg": "image/x-dwg",
    # fonts
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    # audio and video
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mov": "video/quicktime",
    # archives (CherryPy's own choices for .gz and .bz2)
    ".zip": "application/zip",
    ".gz": "application/x-gzip",
    ".tgz": "application/x-gzip",
    ".bz2": "application/x-bzip2",
    ".xz": "application/x-xz",
    ".zst": "application/zstd",
    ".tar": "application/x-tar",
    ".7z": "application/x-7z-compressed",
}
"""Extension (lower case, with its dot) -> media type for the usual web files.

Consulted before :mod:`mimetypes`; update it to change a type for the whole process, or use
the ``content_types`` option of the tools for one directory.
"""


def extension_of(path: str) -> str:
    """The lower-cased extension of ``path``'s last component, dot included ('' if none)."""
    cut = path.rfind(".")
    if cut == -1 or "/" in path[cut:] or "\\" in path[cut:]:
        return ""
    return path[cut:].lower()


def guess_type(path: str, content_types: Mapping[str, str] | None = None) -> str:
    """The media type to serve ``path`` with.

    ``content_types`` maps extensions *without* their dot (``{"gif": "image/gif"}``, as the
    tools' ``content_types`` option does) and wins over everything else; then come
    :data:`WEB_TYPES`, :mod:`mimetypes` and :data:`DEFAULT_TYPE`.
    """
    ext = extension_of(path)
    if content_types:
        bare = path.rpartition(".")[2] if ext else ""
        found = content_types.get(bare)
        if found is None and ext:
            found = content_types.get(ext[1:])
        if found is not None:
            return found
    if not ext:
        return DEFAULT_TYPE
    found = WEB_TYPES.get(ext)
    if found is not None:
        return found
    module = _mimetypes or _load_mimetypes()
    if not module.inited:
        module.init()
    return module.types_map.get(ext) or DEFAULT_TYPE


_mimetypes: Any = None
"""The :mod:`mimetypes` module once a file needed it: imported then (most files are answered
by :data:`WEB_TYPES`, and start-up stays quick), not by an ``import`` statement per request."""


def _load_mimetypes() -> Any:
    global _mimetypes
    import mimetypes

    _mimetypes = mimetypes
    return mimetypes
