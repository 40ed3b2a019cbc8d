cherrypy.config.update("server.conf")
