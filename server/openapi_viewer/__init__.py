"""The API documentation at /schema, served entirely from this server.

Swagger UI's script and style sheet (version 5, which reads OpenAPI 3.1) come from the
`openapi-ui-bundles` package and are served under /schema/assets/, with a small start-up
script of our own instead of the inline one Litestar's plugins write, so the page works
without internet and under the same content security policy as every other page ('self'
only, no inline code, no fonts from elsewhere).
"""

from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File
from markupsafe import escape
from openapi_ui_bundles import swagger_ui

_SWAGGER = Path(swagger_ui.static_path)
#: The only files served under /schema/assets/ (the package holds demo pages too).
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (_SWAGGER / "swagger-ui.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": (_SWAGGER / "swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "viewer.js": (Path(__file__).resolve().parent / "viewer.js", "text/javascript; charset=utf-8"),
}
ASSET_CACHE = "public, max-age=86400"


@get("/assets/{name:str}", include_in_schema=False, sync_to_thread=False)
def schema_asset(name: FromPath[str]) -> File:
    """One of the viewer's own files; anything else is 404."""
    if name not in ASSETS:
        raise NotFoundException()
    path, media_type = ASSETS[name]
    return File(path, media_type=media_type, content_disposition_type="inline", headers={"Cache-Control": ASSET_CACHE})


class SelfHostedSwaggerPlugin(OpenAPIRenderPlugin):
    """Swagger UI from this server's own files (see the module's docstring)."""

    def __init__(self, path: str = "/swagger", **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        """The page: the style sheet, the bundle, the start-up script and where the schema is."""
        base = request.app.openapi_config.path if request.app.openapi_config else "/schema"
        title = escape(openapi_schema["info"]["title"])
        spec_url = escape(self.get_openapi_json_route(request))
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>"
            '<link rel="icon" href="/static/favicon.svg">'
            f'<link rel="stylesheet" href="{base}/assets/swagger-ui.css">'
            f'<script src="{base}/assets/swagger-ui-bundle.js" defer></script>'
            f'<script src="{base}/assets/viewer.js" defer></script>'
            f'</head><body><div id="swagger-ui" data-spec-url="{spec_url}"></div></body></html>'
        ).encode()

    def receive_router(self, router: Router) -> None:
        """Serve the assets next to the page, under the schema's own path."""
        router.register(schema_asset)
