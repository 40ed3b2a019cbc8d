try:
   ...
except:
   cherrypy.log("kaboom!", traceback=True)
