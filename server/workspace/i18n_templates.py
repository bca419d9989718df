"""Gettext and locale-correct dates and numbers in the Jinja templates.

Installed once on the app's template engine (`server/app.py`); the callables read the
request's language (`server.workspace.i18n`) when a page is rendered, so one environment
serves both languages.
"""

from litestar.plugins.jinja import JinjaTemplateEngine

from server.workspace.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    current_language,
    gettext,
    local_date,
    local_datetime,
    local_time,
    ngettext,
    number,
    translations,
)


def install_i18n(engine: JinjaTemplateEngine) -> None:
    """Add `_()`/`gettext()`/`ngettext()` (newstyle: `_("%(n)s left", n=3)`, autoescaped),
    the filters `local_datetime`, `local_date`, `local_time`, `number`, and the globals
    `current_language()` and `LANGUAGE_NAMES`. The catalogues are read now, so a broken
    .po file stops the app at start-up rather than at someone's first Danish page."""
    for language in LANGUAGES:
        translations(language)
    environment = engine.engine
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.filters.update(local_datetime=local_datetime, local_date=local_date, local_time=local_time, number=number)
    environment.globals.update(current_language=current_language, LANGUAGE_NAMES=LANGUAGE_NAMES)
