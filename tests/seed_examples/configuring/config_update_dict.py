cherrypy.config.update({'server.socket_port': 9090})
