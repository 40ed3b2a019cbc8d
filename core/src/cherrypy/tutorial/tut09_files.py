"""Tutorial 9: receiving an upload and sending a download.

Uploads
    A form with ``enctype="multipart/form-data"`` and an ``<input type="file">`` field
    sends a file. The page handler gets that field as an argument: an object whose
    ``.file`` is a readable binary file (spooled to disk when large), with ``.filename``
    and ``.content_type`` as the browser sent them. Read ``.file`` in chunks to handle
    uploads of any size, and copy it elsewhere to keep it.

Downloads
    Returning an open file sends its bytes, but the browser then shows them inline.
    ``cherrypy.lib.static.serve_file(path, content_type, disposition, name)`` also sets
    the headers: with ``disposition="attachment"`` and a ``name``, the browser offers to
    save the file under that name. ``application/x-download`` as the content type makes
    most browsers ask where to save it.

Run it with ``python -m cherrypy.tutorial.tut09_files``; downloads need the
``cherrypy-static`` distribution, which provides ``cherrypy.lib.static``.
"""

import os
import os.path
from typing import Any

import cherrypy

#: The folder holding this module, and so ``pdf_file.pdf``.
localDir = os.path.dirname(__file__)
#: The same folder as an absolute path: ``serve_file`` only accepts absolute paths.
absDir = os.path.join(os.getcwd(), localDir)

#: How many bytes ``upload`` reads at a time.
CHUNK_SIZE = 8192


class FileDemo:
    """An upload form, the page reporting on an upload, and a file to download."""

    @cherrypy.expose
    def index(self) -> str:
        """Show the upload form and the download link."""
        return """
        <html><body>
            <h2>Send a file</h2>
            <form action="upload" method="post" enctype="multipart/form-data">
                <input type="file" name="myFile" />
                <input type="submit" value="Upload" />
            </form>
            <h2>Get a file</h2>
            <p><a href="download">Download a small PDF</a></p>
        </body></html>
        """

    @cherrypy.expose
    def upload(self, myFile: Any) -> str:
        """Count the bytes of the uploaded ``myFile`` (a multipart part) and describe it."""
        size = 0
        while chunk := myFile.file.read(CHUNK_SIZE):
            size += len(chunk)
        return f"""<html><body>
            <p>Received {size} bytes.</p>
            <p>File name: {myFile.filename}</p>
            <p>Media type: {myFile.content_type}</p>
        </body></html>"""

    @cherrypy.expose
    def download(self) -> Any:
        """Send ``pdf_file.pdf`` as an attachment, to be saved rather than shown."""
        from cherrypy.lib import static  # provided by cherrypy-static

        path = os.path.join(absDir, "pdf_file.pdf")
        return static.serve_file(
            path, "application/x-download", "attachment", os.path.basename(path)
        )


#: The config file every tutorial starts with (host, port and thread pool).
tutconf = os.path.join(os.path.dirname(__file__), "tutorial.conf")

if __name__ == "__main__":
    cherrypy.quickstart(FileDemo(), config=tutconf)
