"""Names the HTTP layer and its callers share, in a module that imports nothing.

The local runtime's web server, gateway and edge use them too, and must not import
:mod:`shared.http` to get them: that pulls in Powertools' logger and metrics, which read their
settings (service name, metrics namespace) when first imported, before the runtime has set the
functions' environment.
"""

ADMIN_GROUP = "catalog-admins"
REQUEST_ID_HEADER = "X-Request-Id"
