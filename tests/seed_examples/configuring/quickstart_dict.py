cherrypy.quickstart(myapp, '/', {'/': {'tools.gzip.on': True}})
