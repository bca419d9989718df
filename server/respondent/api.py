"""The respondent JSON API, versioned under /api/v1.

Flow: GET /consent (show information and consent) -> POST / with "consent": true ->
PUT /{id}/answers/{item} for each item in `items` (re-read after answers that control
skip logic, or follow `next_item`) -> POST /{id}/submit.
"""

import uuid

from litestar import Controller, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from server.instrument_registry import RegistryDep
from server.respondent import service
from server.respondent.schemas import AnswerIn, AnswerSaved, ConsentOut, GroupCode, RefusalOut, ResponseOut, StartRequest, SubmitOut

# Documented so clients (and the OpenAPI conformance tests) know every refusal they can get.
NOT_FOUND = {404: ResponseSpec(data_container=RefusalOut, description="No questionnaire session with this id.")}
SUBMITTED = {409: ResponseSpec(data_container=RefusalOut, description="The questionnaire was submitted; it takes no more answers.")}


class ResponsesController(Controller):
    """Show consent, start a questionnaire, save answers one at a time, submit."""

    path = "/api/v1/responses"
    tags = ["respondent"]

    @get("/consent", summary="Information and consent text to show before starting")
    async def consent(
        self, group: FromQuery[GroupCode], registry: RegistryDep, language: FromQuery[str] = "da", instrument: FromQuery[str | None] = None
    ) -> ConsentOut:
        """The texts a respondent must see and agree to; nothing is stored by this call."""
        return service.consent_text(registry, group, language, instrument)

    @post("/", summary="Start a questionnaire (requires consent)", status_code=201)
    async def start(self, data: JSONBody[StartRequest], registry: RegistryDep) -> ResponseOut:
        """Create an anonymous questionnaire session and return the items to ask."""
        return await service.start_response(registry, data)

    @get("/{response_id:uuid}", summary="Read a questionnaire session", responses=NOT_FOUND)
    async def read(self, response_id: FromPath[uuid.UUID], registry: RegistryDep) -> ResponseOut:
        """The items to ask now (after skip logic) and the answers saved so far, to resume after a pause."""
        return await service.get_response(registry, response_id)

    @put("/{response_id:uuid}/answers/{item:str}", summary="Save one answer (idempotent)", responses={**NOT_FOUND, **SUBMITTED})
    async def save(self, response_id: FromPath[uuid.UUID], item: FromPath[str], data: JSONBody[AnswerIn], registry: RegistryDep) -> AnswerSaved:
        """Store one answer; the same answer sent twice is stored once, a new value replaces the old.

        Answers to items that are not asked (other setting, switched-off feature, a pair
        not assigned, hidden by skip logic) are refused with 400 naming `item`.
        """
        return await service.save_answer(registry, response_id, item, data)

    @post("/{response_id:uuid}/submit", summary="Submit (idempotent)", status_code=200, responses=NOT_FOUND)
    async def submit(self, response_id: FromPath[uuid.UUID]) -> SubmitOut:
        """Close the session; later answers are refused with 409."""
        return await service.submit_response(response_id)
