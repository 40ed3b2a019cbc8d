cherrypy.log("hello there")
