"""Routes the streamable-HTTP transport serves beside `/mcp` (web front end, images, metrics...).

Each module here has `register(server, app)` adding its routes with `server.custom_route`; the
route gets its acting user from `request_user`, never from the request body or path.
"""
