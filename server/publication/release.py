"""The release gate: draft -> reviewed -> released -> public, each step audited.

- A draft is computed for chosen studies (`server.publication.job`).
- Review: a second person (not whoever computed the draft) has read the draft's report.
- Release: an admin hands the reviewed publication to the authority. The served bytes
  are fixed now, once. Simulated (demo) data are never released, and data and plan
  identical to an earlier release are released again only with a stated reason.
- Public: an admin shows a released publication on /gradation (and may take it off).
Each step moves the status with a conditional update, so two people pressing the same
button at once move it once; the loser is told what happened.
"""

import datetime as dt
from typing import Final

import msgspec

from server.publication.store import (
    RELEASED,
    PublicationError,
    PublicationInfo,
    load_publication,
    publication_info,
    served_document,
)
from server.storage.publication_tables import Publication
from server.workspace import audit
from server.workspace.i18n import _


class Step:
    """Audit action names of the gate (stable strings)."""

    DRAFTED: Final = "publication_drafted"
    REVIEWED: Final = "publication_reviewed"
    RELEASED: Final = "publication_released"
    MADE_PUBLIC: Final = "publication_made_public"
    TAKEN_OFF_PUBLIC: Final = "publication_taken_off_public"


#: A reason to release identical data again must say something.
MIN_REASON_CHARS: Final = 10


def _who(actor: str) -> str:
    return actor or _("the command line")


async def _current(number: int) -> PublicationInfo:
    info = await publication_info(number)
    if info is None:
        raise PublicationError(_("number: no publication %(number)s") % {"number": number})
    return info


async def _move(number: int, expected: str, values: dict) -> None:
    """Set `values` where the status is still `expected`; refuse if someone moved it first."""
    moved = await Publication.update(values).where((Publication.number == number) & (Publication.status == expected)).returning(Publication.number)
    if not moved:
        now = await _current(number)
        raise PublicationError(_("status: publication %(number)s is now %(status)s; someone else moved it first") % {"number": number, "status": now.status})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def review(number: int, actor: str) -> PublicationInfo:
    """Mark draft `number` reviewed by `actor`, who must not be who computed it."""
    info = await _current(number)
    if info.status != "draft":
        raise PublicationError(_("status: publication %(number)s is %(status)s, not a draft") % {"number": number, "status": info.status})
    if actor == info.published_by:
        raise PublicationError(_("reviewer: %(who)s computed draft %(number)s; another person must review it") % {"who": _who(actor), "number": number})
    await _move(number, "draft", {Publication.status: "reviewed", Publication.reviewed_at: _now(), Publication.reviewed_by: actor})
    await audit.record(actor, Step.REVIEWED, f"publication:{number}", data_sha256=info.data_sha256)
    return await _current(number)


async def identical_release(info: PublicationInfo) -> PublicationInfo | None:
    """An earlier released publication of the same data with the same plan, if any."""
    from server.publication.store import list_publications

    for other in await list_publications(released_only=True):
        if other.number != info.number and other.data_sha256 == info.data_sha256 and other.plan_sha256 == info.plan_sha256:
            return other
    return None


async def release(number: int, actor: str, reason: str = "") -> PublicationInfo:
    """Release reviewed publication `number` to the authority and fix its served bytes."""
    info = await _current(number)
    if info.simulated:
        raise PublicationError(_("data: publication %(number)s was computed from simulated (demo) data, which are never released") % {"number": number})
    if info.status != "reviewed":
        raise PublicationError(_("status: publication %(number)s is %(status)s; only a reviewed publication can be released") % {"number": number, "status": info.status})
    reason = reason.strip()
    same = await identical_release(info)
    if same is not None and len(reason) < MIN_REASON_CHARS:
        raise PublicationError(
            _(
                "reason: publication %(number)s released the same data (sha256 %(sha)s…) with the same plan; "
                "say in at least %(chars)s characters why it is released again"
            )
            % {"number": same.number, "sha": info.data_sha256[:12], "chars": MIN_REASON_CHARS}
        )
    publication = await load_publication(number)
    assert publication is not None
    released_at = _now()
    fixed = msgspec.structs.replace(publication.info, status="released", released_at=released_at, released_by=actor)
    served = served_document(msgspec.structs.replace(publication, info=fixed))
    await _move(
        number,
        "reviewed",
        {
            Publication.status: "released",
            Publication.released_at: released_at,
            Publication.released_by: actor,
            Publication.release_reason: reason,
            Publication.served: served.decode(),
        },
    )
    detail = {"data_sha256": info.data_sha256, "plan_sha256": info.plan_sha256}
    if reason:
        detail["reason"] = reason
    await audit.record(actor, Step.RELEASED, f"publication:{number}", **detail)
    return await _current(number)


async def set_public(number: int, public: bool, actor: str = "") -> PublicationInfo:
    """Show released publication `number` on the public page (or take it off)."""
    info = await _current(number)
    if info.status not in RELEASED:
        raise PublicationError(_("status: publication %(number)s is %(status)s; only a released publication can be public") % {"number": number, "status": info.status})
    target = "public" if public else "released"
    if info.status != target:
        await _move(number, info.status, {Publication.status: target, Publication.is_public: public})
        await audit.record(actor, Step.MADE_PUBLIC if public else Step.TAKEN_OFF_PUBLIC, f"publication:{number}")
    return await _current(number)
