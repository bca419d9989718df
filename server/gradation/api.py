"""GET /api/v1/gradation: the latest gradation as `leastmeans.gradation/1` JSON."""

from litestar import Response, get
from litestar.exceptions import NotFoundException

from server.gradation.runner import latest_result


@get("/api/v1/gradation", summary="Latest gradation", tags=["gradation"])
async def latest_gradation() -> Response[bytes]:
    """The latest stored gradation result (schema `leastmeans.gradation/1`)."""
    payload = await latest_result()
    if payload is None:
        raise NotFoundException(detail="No gradation has been computed yet: run `leastmeans analyse`.")
    return Response(content=payload, media_type="application/json")
