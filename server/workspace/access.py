"""Which sites a signed-in user may act on (coordinators: only their own)."""

import msgspec
from litestar.exceptions import NotFoundException, PermissionDeniedException

from server.storage.tables import Site
from server.workspace.i18n import _
from server.workspace.roles import Role
from server.workspace.studies import StudyOut, get_study
from server.workspace.users import coordinator_site_ids


async def site_scope(user: dict) -> list[int] | None:
    """None means every site; a list restricts a coordinator to their sites."""
    if user["role"] == Role.COORDINATOR:
        return await coordinator_site_ids(user["id"])
    return None


async def study_site_ids(user: dict, study_id: int) -> list[int]:
    """The study's sites this user may act on; 404 if none (hides other studies' existence)."""
    rows = await Site.select(Site.id).where(Site.study == study_id)
    ids = [row["id"] for row in rows]
    scope = await site_scope(user)
    if scope is not None:
        ids = [i for i in ids if i in scope]
        if not ids:
            raise NotFoundException(_("no study with id %(id)s") % {"id": study_id})
    return ids


async def visible_study(user: dict, study_id: int) -> StudyOut:
    """The study with only the sites this user may see; 404 if there is no such study, or
    none of its sites is this coordinator's."""
    site_ids = await study_site_ids(user, study_id) if user["role"] == Role.COORDINATOR else None
    study = await get_study(study_id)
    if study is None:
        raise NotFoundException(_("no study with id %(id)s") % {"id": study_id})
    if site_ids is not None:
        study = msgspec.structs.replace(study, sites=[s for s in study.sites if s.id in site_ids])
    return study


async def require_site(user: dict, site_id: int) -> dict:
    """The site row if this user may act on it; 403 for a coordinator of other sites."""
    site = await Site.select(Site.id, Site.code, Site.study).where(Site.id == site_id).first()
    if site is None:
        raise NotFoundException(_("no site with id %(id)s") % {"id": site_id})
    scope = await site_scope(user)
    if scope is not None and site_id not in scope:
        raise PermissionDeniedException(_("this site is not one of yours"))
    return site
