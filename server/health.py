"""GET /health: is the service up, and which database does it use."""

import msgspec
from litestar import get

from server.storage.database import current_engine, database_kind
from server.storage.tables import Study


class Health(msgspec.Struct):
    status: str
    database: str


@get("/health", summary="Service health", tags=["operations"])
async def health() -> Health:
    """Reports 'ok' and the database kind after a round trip to the database."""
    await Study.count()
    return Health(status="ok", database=database_kind(current_engine()))
