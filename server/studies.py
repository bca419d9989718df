"""Creating studies and their sites (the researcher workspace builds on this)."""

from server.storage.tables import Site, Study


async def ensure_study(code: str, name: str, sites: list[tuple[str, str, str]]) -> int:
    """Create the study and any missing sites (code, name, setting); return the study id."""
    await Study.insert(Study(code=code, name=name)).on_conflict(target=Study.code, action="DO NOTHING").run()
    study = await Study.select(Study.id).where(Study.code == code).first()
    assert study is not None
    for site_code, site_name, setting in sites:
        await (
            Site.insert(Site(study=study["id"], code=site_code, name=site_name, setting=setting))
            .on_conflict(target=(Site.study, Site.code), action="DO NOTHING")
            .run()
        )
    return study["id"]


async def mark_simulated(code: str | None) -> None:
    """Record that study `code` holds simulated answers (demo data or a demo-mode start):
    no publication computed from it can ever be released."""
    if code is not None:
        await Study.update({Study.simulated: True}).where((Study.code == code) & (Study.simulated == False))  # noqa: E712
