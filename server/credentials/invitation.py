"""Invitations: a code that lets one respondent group of one study answer on their own device.

An invitation fixes the study and the group, and either one site (its setting with it) or
none, in which case the respondent picks a ward of that study. A use is counted in the
same statement that checks one is left (`count_use`), so parallel starts with a
single-use code make exactly one questionnaire.
"""

import msgspec

from server.credentials.codes import code_hash
from server.credentials.sites import SiteChoice, aware, now, open_sites, site_by_id
from server.storage.database import write_transaction
from server.storage.workspace_tables import InvitationCode


class Invitation(msgspec.Struct, frozen=True):
    """What an invitation code allows: one study and group, at one site or any of its sites.

    An invitation issued for a site lists just that site (the respondent starts there);
    a study-wide one lists every site of the study, and the respondent picks their ward.
    """

    group: str
    sites: list[SiteChoice]
    #: The invitation's row id and how often it may be used (`server.credentials.starts`).
    invitation_id: int = 0
    max_uses: int = 1


async def _invitation_row(code: str) -> dict | None:
    row = await InvitationCode.select(InvitationCode.all_columns()).where(InvitationCode.code_hash == code_hash(code)).first()
    if row is None or row["revoked_at"] is not None or aware(row["expires_at"]) <= now() or row["uses"] >= row["max_uses"]:
        return None
    return row


async def check_invitation(code: str | None) -> Invitation | None:
    """What a valid invitation code allows, or None (unknown, revoked, expired or used up)."""
    if not code:
        return None
    row = await _invitation_row(code)
    if row is None:
        return None
    if row["site"] is not None:
        site = await site_by_id(row["site"])
        sites = [site] if site else []
    else:
        sites = await open_sites(row["study"])
    if not sites:
        return None
    return Invitation(group=row["respondent_group"], sites=sites, invitation_id=row["id"], max_uses=row["max_uses"])


# One statement: the check that a use is left and the count, so two parallel starts can
# never both see the last use (PostgreSQL re-checks the WHERE after waiting for the row
# lock; SQLite runs writers one at a time). Expiry was checked when the code was read.
_COUNT_USE_SQL = (
    "UPDATE invitation_code SET uses = uses + 1"
    " WHERE id = {} AND uses < max_uses AND revoked_at IS NULL"
    " RETURNING id"
)


async def count_use(invitation_id: int) -> bool:
    """Count one use of the invitation `invitation_id`; False if it has none left."""
    rows = await InvitationCode.raw(_COUNT_USE_SQL, invitation_id)
    return bool(rows)


async def use_invitation(code: str) -> bool:
    """Count one use of an invitation code, atomically; False if it has none left."""
    async with write_transaction():
        row = await _invitation_row(code)
        if row is None:
            return False
        return await count_use(row["id"])
