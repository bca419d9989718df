"""The respondent JSON API, versioned under /api/v1.

Flow: GET /consent (show information and consent) -> POST / with "consent": true and a
credential (an enrolled tablet's bearer token, or an invitation code; see `start`) ->
PUT /{id}/answers/{item} for each item in `items` (re-read after answers that control
skip logic, or follow `next_item`) -> POST /{id}/submit. Every call after the start sends
the session key the start returned as `X-Session-Key`; the id alone opens nothing.
"""

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from server.credentials.errors import CredentialRequired, InvitationUsedUp, TooManyStarts
from server.credentials.grant import grant_for, place_for
from server.credentials.session_binding import SESSION_KEY_HEADER
from server.instrument_registry import RegistryDep
from server.studies import mark_simulated
from server.respondent import service
from server.respondent.schemas import (
    AnswerIn, AnswerSaved, ConsentOut, GroupCode, RefusalOut, ResponseOut, SettingCode, StartRequest, SubmitOut,
)  # fmt: skip
from server.settings import Settings
from server.tablet.cookies import INVITE_COOKIE, KIOSK_COOKIE

def _bearer(request: Request) -> str | None:
    """An enrolled tablet's token from `Authorization: Bearer <token>`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# Documented so clients (and the OpenAPI conformance tests) know every refusal they can get.
NOT_FOUND = {
    404: ResponseSpec(
        data_container=RefusalOut,
        description="No open questionnaire session with this id for this session key (also after submit, and after its device let it go).",
    )
}
#: The session key from the start's answer; without the right one every call is a 404.
SessionKey = Annotated[
    str | None,
    HeaderParameter(name=SESSION_KEY_HEADER, description="The `session_key` from the start's answer.", max_length=128),
]
START_REFUSALS = {
    401: ResponseSpec(data_container=RefusalOut, description="No credential: neither an enrolled tablet's token nor a valid invitation."),
    403: ResponseSpec(data_container=RefusalOut, description="The invitation's last use was taken."),
    429: ResponseSpec(data_container=RefusalOut, description="This credential started more questionnaires than people can answer; see Retry-After."),
}
START_DESCRIPTION = (
    "Starts an anonymous questionnaire session. Every start needs a credential. An enrolled ward tablet sends its "
    "token as `Authorization: Bearer <token>` (or its `lm_kiosk` cookie); a respondent's own device sends the "
    "invitation code in the body's `invitation` field (or the `lm_invite` cookie). The credential fixes the study, "
    "the site and its setting, and an invitation also the group (a tablet allows patient and relative): these fields "
    "may be left out, and values that disagree with the credential are refused with 400 naming the field. Without a "
    "credential the start is refused with 401 (only a server in demo mode starts without one). A single-use "
    "invitation starts exactly one questionnaire (403 afterwards). A credential that starts more questionnaires than "
    "people can answer (by default 20 per 10 minutes) is refused with 429 and `Retry-After`. Send a random "
    "`start_key` (16-128 characters, made once per respondent) to make retries safe: a start with a key already used "
    "returns the session that key made, with the same session key. The answer's `session_key` binds the session "
    "to this client: send it as `X-Session-Key` with every later call on the session."
)
SUBMITTED = {
    409: ResponseSpec(
        data_container=RefusalOut,
        description="The questionnaire was submitted, or its device let it go and this item already has its answer.",
    )
}


class ResponsesController(Controller):
    """Show consent, start a questionnaire, save answers one at a time, submit."""

    path = "/api/v1/responses"
    tags = ["respondent"]

    @get("/consent", summary="Information and consent text to show before starting")
    async def consent(
        self,
        group: FromQuery[GroupCode],
        registry: RegistryDep,
        language: FromQuery[str] = "da",
        instrument: FromQuery[str | None] = None,
        study: FromQuery[str | None] = None,
        setting: FromQuery[SettingCode | None] = None,
    ) -> ConsentOut:
        """The texts a respondent must see and agree to; nothing is stored by this call.

        With `study` (and the ward's `setting`), the texts of the questionnaire that study
        uses for this group there, as the start will choose it; without, the group's
        default questionnaire (or `instrument`).
        """
        return await service.consent_text(registry, group, language, instrument, study, setting)

    @post(
        "/",
        summary="Start a questionnaire (requires consent and a credential)",
        description=START_DESCRIPTION,
        status_code=201,
        responses=START_REFUSALS,
    )
    async def start(self, request: Request, data: JSONBody[StartRequest], registry: RegistryDep) -> ResponseOut:
        """Create an anonymous questionnaire session and return the items to ask.

        Credential: an enrolled ward tablet sends `Authorization: Bearer <its token>` (or
        its `lm_kiosk` cookie); a respondent's own device sends the invitation code in
        `invitation` (or the `lm_invite` cookie). Study, site, setting and (from an
        invitation) group come from the credential and may be left out; values that
        disagree with it are refused with 400 naming the field. Without a credential the
        start is refused with 401, unless the server runs in demo mode. A credential that
        starts more questionnaires than people can answer is refused with 429
        (`Retry-After`). Send a random `start_key` to make retries safe: the same key
        returns the session it already made.
        """
        settings: Settings = request.app.state.settings
        try:
            grant = await grant_for(_bearer(request) or request.cookies.get(KIOSK_COOKIE), data.invitation or request.cookies.get(INVITE_COOKIE), settings.demo_mode)
            if grant.kind != "demo" or None in (data.study, data.site, data.group, data.setting):
                place = place_for(grant, data.study, data.site, data.setting, data.group)
                data = msgspec.structs.replace(
                    data, study=place.site.study_code, site=place.site.site_code, setting=place.setting, group=place.group  # type: ignore[arg-type]
                )
            started = await service.start_response(registry, data, grant.limits(settings.starts_per_window))
            if grant.kind == "demo":
                # Anyone may answer anything in demo mode: the study's data are not real.
                await mark_simulated(data.study)
            return started
        except CredentialRequired as exc:
            raise NotAuthorizedException(detail=exc.reason, headers={"WWW-Authenticate": "Bearer"}) from None
        except TooManyStarts as exc:
            raise TooManyRequestsException(
                detail="this credential started more questionnaires than people can answer; try again later",
                headers={"Retry-After": str(exc.retry_after_s)},
            ) from None
        except InvitationUsedUp:
            raise PermissionDeniedException(detail="the invitation has no use left") from None

    @get("/{response_id:uuid}", summary="Read an open questionnaire session", responses=NOT_FOUND)
    async def read(
        self, response_id: FromPath[uuid.UUID], registry: RegistryDep, session_key: SessionKey = None
    ) -> ResponseOut:
        """The items to ask now (after skip logic) and the answers saved so far, for the
        holder of the session key (`X-Session-Key`), while the session is open. After
        submit, or once its device let it go, nothing of it is read back."""
        return await service.get_response(registry, response_id, session_key)

    @put("/{response_id:uuid}/answers/{item:str}", summary="Save one answer (idempotent)", responses={**NOT_FOUND, **SUBMITTED})
    async def save(
        self,
        response_id: FromPath[uuid.UUID],
        item: FromPath[str],
        data: JSONBody[AnswerIn],
        registry: RegistryDep,
        session_key: SessionKey = None,
    ) -> AnswerSaved:
        """Store one answer; the same answer sent twice is stored once, a new value replaces the old.

        Needs the session key (`X-Session-Key`). Once the device let the session go (a
        kiosk wipe), an answer still on its way is stored if the item has none yet; a
        stored one is never replaced (409).

        Answers to items that are not asked (other setting, switched-off feature, a pair
        not assigned, hidden by skip logic) are refused with 400 naming `item`.
        """
        return await service.save_answer(registry, response_id, session_key, item, data)

    @post("/{response_id:uuid}/submit", summary="Submit (idempotent)", status_code=200, responses={**NOT_FOUND, **SUBMITTED})
    async def submit(self, response_id: FromPath[uuid.UUID], session_key: SessionKey = None) -> SubmitOut:
        """Close the session (needs `X-Session-Key`); later answers are refused with 409."""
        return await service.submit_response(response_id, session_key)
