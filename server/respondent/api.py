"""The respondent JSON API, versioned under /api/v1."""

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from server.instrument_registry import RegistryDep
from server.respondent import service
from server.respondent.schemas import AnswerIn, AnswerOut, ResponseOut, StartRequest, SubmitOut


class ResponsesController(Controller):
    """Start a questionnaire, save answers one at a time, submit."""

    path = "/api/v1/responses"
    tags = ["respondent"]

    @post("/", summary="Start a questionnaire", status_code=201)
    async def start(self, data: JSONBody[StartRequest], registry: RegistryDep) -> ResponseOut:
        """Create an anonymous questionnaire session and return its items."""
        return await service.start_response(registry, data)

    @get("/{response_id:uuid}", summary="Read a questionnaire session")
    async def read(self, response_id: FromPath[uuid.UUID], registry: RegistryDep) -> ResponseOut:
        """The items and the answers saved so far, to resume after a pause."""
        return await service.get_response(registry, response_id)

    @put("/{response_id:uuid}/answers/{item:str}", summary="Save one answer (idempotent)")
    async def save(self, response_id: FromPath[uuid.UUID], item: FromPath[str], data: JSONBody[AnswerIn], registry: RegistryDep) -> AnswerOut:
        """Store one answer; the same answer sent twice is stored once, a new value replaces the old."""
        return await service.save_answer(registry, response_id, item, data)

    @post("/{response_id:uuid}/submit", summary="Submit (idempotent)", status_code=200)
    async def submit(self, response_id: FromPath[uuid.UUID]) -> SubmitOut:
        """Close the session; later answers are refused with 409."""
        return await service.submit_response(response_id)
