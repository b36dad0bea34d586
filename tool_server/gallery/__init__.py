"""HTML galleries: a run's every step with its likeness, and a user's photos, avatars and identities.

`views` reads the store into view objects, `render` turns them into HTML (Jinja2, autoescaped),
`static` writes self-contained folders for stdio users; `tool_server.http.gallery` serves the
same pages on the HTTP transport.
"""

from tool_server.gallery.static import default_gallery_dir, write_run_gallery, write_user_gallery

__all__ = ["default_gallery_dir", "write_run_gallery", "write_user_gallery"]
