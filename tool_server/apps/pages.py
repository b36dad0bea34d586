"""The four app pages: which tool each is bound to, and how each is served."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from mcp.server.apps import APP_MIME_TYPE
from mcp.server.mcpserver.resources import FunctionResource


@dataclass(frozen=True)
class Page:
    name: str
    tool: str
    title: str

    @property
    def uri(self) -> str:
        return f"ui://coach/{self.name}.html"


PAGES = (
    Page("photos", "add_reference_photo", "Reference photos"),
    Page("body", "set_body_profile", "Body profile"),
    Page("review", "generate_identity_image", "Identity image review"),
    Page("dogs", "dog_avatar", "Dog avatar picker"),
)
BOUND = {page.tool: page.uri for page in PAGES}

# Empty CSP lists: the pages load nothing from any origin; images arrive as data from the server.
UI_META = {"ui": {"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": True}}


def page_html(name: str) -> str:
    """The built page (read on demand: the server's start-up never touches these files)."""
    return resources.files("tool_server.apps").joinpath("pages", f"{name}.html").read_text("utf-8")


def page_resource(page: Page) -> FunctionResource:
    return FunctionResource(
        uri=page.uri,
        name=f"{page.name}_app",
        title=page.title,
        mime_type=APP_MIME_TYPE,
        meta=UI_META,
        fn=lambda: page_html(page.name),
    )
