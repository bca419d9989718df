"""The application factory: every plugin, route and handler is wired here, once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from server.errors import EXCEPTION_HANDLERS
from server.health import health
from server.input_screening import input_screening_middleware
from server.instrument_registry import InstrumentRegistry
from server.openapi_viewer import SelfHostedSwaggerPlugin
from server.publication.api import BEARER_COMPONENTS, AuthorityApi
from server.publication.diff_api import PublicationDiffApi
from server.publication.public_page import PublicGradationPage
from server.publication.rendering import TEMPLATE_DIR as PUBLICATION_TEMPLATES
from server.publication.workspace_pages import publication_router
from server.request_ids import stamp_request_id
from server.respondent.api import ResponsesController
from server.security_headers import security_headers_hook
from server.settings import Settings
from server.storage.database import POSTGRES_POOL_OPTIONS, current_engine, engine_for_url, use_database
from server.tablet.pages import TabletPages
from server.workspace.i18n_templates import install_i18n
from server.workspace.wiring import build_workspace

TABLET_DIR = Path(__file__).resolve().parent / "tablet"
#: Every page's stylesheets and scripts; served from /static, never inline (see the CSP).
STATIC_DIRS = [TABLET_DIR / "static", *(Path(__file__).resolve().parent / area / "static" for area in ("publication", "workspace"))]


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """Build the app. Pass `engine` to reuse an already configured database (tests)."""
    settings = settings or Settings.from_env()
    if engine is None:
        engine = engine_for_url(settings.database_url)
    registry = InstrumentRegistry()
    workspace = build_workspace()

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        use_database(engine)
        if isinstance(engine, PostgresEngine):
            await engine.start_connection_pool(**POSTGRES_POOL_OPTIONS)
        await registry.register_current()
        try:
            yield
        finally:
            if isinstance(current_engine(), PostgresEngine):
                await engine.close_connection_pool()

    return Litestar(
        route_handlers=[
            ResponsesController,
            TabletPages,
            AuthorityApi,
            PublicationDiffApi,
            PublicGradationPage,
            publication_router(),
            health,
            workspace.router,
            create_static_files_router(path="/static", directories=STATIC_DIRS, include_in_schema=False),
        ],
        dependencies={"registry": Provide(lambda: registry, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        template_config=TemplateConfig(
            directory=[TABLET_DIR / "templates", workspace.template_dir, PUBLICATION_TEMPLATES],
            engine=JinjaTemplateEngine,
            # The workspace's gettext (Danish/English) and locale-correct date and number filters.
            engine_callback=install_i18n,
        ),
        stores=workspace.stores,
        csrf_config=workspace.csrf_config,
        openapi_config=OpenAPIConfig(
            title="leastmeans", version="1", path="/schema", components=BEARER_COMPONENTS, render_plugins=[SelfHostedSwaggerPlugin()]
        ),
        lifespan=[lifespan],
        # Hooks, not middleware: they also see the router's 404/405 and the 500 pages.
        before_send=[stamp_request_id, security_headers_hook(hsts_always=settings.https)],
        middleware=[DefineMiddleware(input_screening_middleware, max_body_bytes=settings.max_body_bytes)],
        request_max_body_size=settings.max_body_bytes,
        debug=settings.debug,
        # The respondent API and tablet pages read the demo mode and start limits from here.
        state=State({"settings": settings}),
    )
