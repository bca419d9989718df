"""The sites (wards) a credential can start questionnaires for."""

import datetime as dt

import msgspec

from server.storage.tables import Site


class SiteChoice(msgspec.Struct, frozen=True):
    """A site a respondent can answer for."""

    study_code: str
    study_name: str
    site_code: str
    site_name: str
    setting: str
    #: The study's data controller and contact, shown before consent ("" if not set).
    data_controller: str = ""
    contact: str = ""


_SITE_COLUMNS = (
    Site.study.code.as_alias("study_code"),
    Site.study.name.as_alias("study_name"),
    Site.code.as_alias("site_code"),
    Site.name.as_alias("site_name"),
    Site.setting.as_alias("setting"),
    Site.study.data_controller.as_alias("data_controller"),
    Site.study.contact.as_alias("contact"),
)


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


async def open_sites(study_id: int | None = None) -> list[SiteChoice]:
    """Every site of every open study (the demo welcome screen), or of one study."""
    where = Site.study.is_open == True  # noqa: E712
    if study_id is not None:
        where = where & (Site.study == study_id)
    rows = await Site.select(*_SITE_COLUMNS).where(where).order_by(Site.study.code).order_by(Site.code)
    return [SiteChoice(**row) for row in rows]


async def site_by_id(site_id: int) -> SiteChoice | None:
    """One site of an open study, or None."""
    row = await Site.select(*_SITE_COLUMNS).where((Site.id == site_id) & (Site.study.is_open == True)).first()  # noqa: E712
    return SiteChoice(**row) if row else None


def site_key(site: SiteChoice) -> str:
    """How a ward picker names a site: "<study code>/<site code>"."""
    return f"{site.study_code}/{site.site_code}"
