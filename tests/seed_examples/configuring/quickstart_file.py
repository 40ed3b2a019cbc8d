cherrypy.quickstart(myapp, '/', "app.conf")
