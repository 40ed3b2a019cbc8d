"""Ten small CherryPy applications, each runnable with ``python -m``.

Start with ``python -m cherrypy.tutorial.tut01_helloworld`` and work upwards; every module
builds on the previous ones:

=====================================  ==============================================
module                                 what it shows
=====================================  ==============================================
``tut01_helloworld``                   the smallest application: one exposed method
``tut02_expose_methods``               one exposed method per URL, linked together
``tut03_get_and_post``                 query-string and form fields as arguments
``tut04_complex_site``                 a site made of nested handler objects
``tut05_derived_objects``              a base class sharing a page layout
``tut06_default_method``               ``default``: handling URLs no method matches
``tut07_sessions``                     per-visitor data in ``cherrypy.session``
``tut08_generators_and_yield``         a body produced piece by piece with ``yield``
``tut09_files``                        receiving an upload, sending a download
``tut10_http_errors``                  raising HTTP errors and custom error pages
=====================================  ==============================================

Each module defines ``tutconf``, the path of ``tutorial.conf`` (the server's address and
thread pool), and starts ``cherrypy.quickstart(..., config=tutconf)`` when run as a script.
Importing a tutorial module only defines its classes.
"""

#: A plain object the config tests name in ``from cherrypy.tutorial import thing2`` values.
thing2 = object()
