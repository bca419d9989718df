"""Where a new response may start: which study, site and respondent group.

Three ways in: an enrolled ward tablet (kiosk; its site is fixed), an invitation code on
the respondent's own device (study and group fixed, site possibly), or the open demo
welcome screen (demo mode only). Checking and redeeming kiosk tokens and invitation codes
lives in `server.credentials` (below both the tablet and the workspace, which issues
them); this module picks the ward and what the welcome screen offers.
"""

from server.credentials.sites import SiteChoice, site_key
from server.instrument_registry import InstrumentRegistry
from server.respondent.questionnaire_choice import choose, offers, study_pairs

__all__ = ["chosen_site", "offered"]


def chosen_site(sites: list[SiteChoice], key: str | None) -> SiteChoice | None:
    """The ward a new questionnaire is for: the only one offered (a ward tablet, an
    invitation for one site), else the one the respondent picked; None if not picked."""
    if len(sites) == 1:
        return sites[0]
    return next((site for site in sites if site_key(site) == key), None)


async def offered(
    registry: InstrumentRegistry, sites: list[SiteChoice], groups: tuple[str, ...], settings: tuple[str, ...] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Of `groups`, those a questionnaire is chosen for at any of `sites`, and every language
    offered to them there (the welcome screen's choices). `settings` replaces each site's
    own setting where the respondent picks one (the open welcome screen)."""
    available = offers(registry)
    pairs = {code: await study_pairs(code) for code in sorted({site.study_code for site in sites})}
    found: set[str] = set()
    languages: set[str] = set()
    for site in sites:
        for setting in settings or (site.setting,):
            for group in groups:
                choice = choose(available, pairs[site.study_code], group, setting)
                if choice is not None:
                    found.add(group)
                    languages.update(choice.languages)
    return tuple(g for g in groups if g in found), tuple(sorted(languages))
