"""The Jinja environment of this package's templates (report, public page, workspace
pages): autoescaped, with locale-correct number formatting.

Numbers follow the language of the page (the template's ``language`` variable; English
when a template has none): a decimal comma in Danish, a decimal point in English, the
minus sign U+2212, "–" for a missing value, and never a negative zero (a value is
rounded to the printed digits first, and a zero loses its sign). Ranges use an en dash,
or words ("til"/"to") when a bound is negative, so "−23,9 til −11,0" cannot be misread
as a subtraction. p-values below 0.001 read "< 0,001"/"< 0.001", never "0.000".
Templates keep the full machine value in ``data-value`` attributes.
"""

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from server.publication.tier_numbering import tier_number

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

MINUS = "\u2212"
MISSING = "–"
#: Babel locale per page language.
LOCALES = {"da": "da_DK", "en": "en_GB"}
RANGE_WORD = {"da": "til", "en": "to"}
P_FLOOR = 0.001


def number(value: float | None, digits: int = 1, language: str = "en") -> str:
    """A number as printed in `language`: rounded to `digits`, no negative zero."""
    if value is None:
        return MISSING
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # -0.0 == 0: drop the sign a tiny negative value would print
    pattern = "0" if digits <= 0 else "0." + "0" * digits
    text = format_decimal(abs(rounded), format=pattern, locale=LOCALES.get(language, "en_GB"))
    return (MINUS + text) if rounded < 0 else text


def plain(value: float, language: str = "en") -> str:
    """A setting such as a margin or alpha as written ("0,05", "2,5", "5"): no fixed digits."""
    text = format_decimal(abs(value), format="0.######", locale=LOCALES.get(language, "en_GB"))
    return (MINUS + text) if value < 0 else text


def interval(low: float | None, high: float | None, digits: int = 1, language: str = "en") -> str:
    """A range such as a confidence interval: "12,3–15,0", or "−23,9 til −11,0" with a negative bound."""
    if low is None or high is None:
        return MISSING
    a, b = number(low, digits, language), number(high, digits, language)
    if a.startswith(MINUS) or b.startswith(MINUS):
        return f"{a} {RANGE_WORD.get(language, 'to')} {b}"
    return f"{a}–{b}"


def p_value(p: float | None, language: str = "en") -> str:
    """A p-value with three decimals, "< 0,001" below that."""
    if p is None:
        return MISSING
    if p < P_FLOOR:
        return "< " + number(P_FLOOR, 3, language)
    return number(p, 3, language)


def percent(value: float | None, digits: int = 1, language: str = "en") -> str:
    """A share 0-1 as a percentage ("12,5 %" in Danish, "12.5%" in English)."""
    if value is None:
        return MISSING
    # Danish puts a (no-break) space before the sign, English none.
    return number(100 * value, digits, language) + ("\u00a0%" if language == "da" else "%")


def _language(context: Context) -> str:
    return str(context.get("language") or "en")


@pass_context
def fmt(context: Context, value: float | None, digits: int = 1) -> str:
    """Filter: a number in the page's language."""
    return number(value, digits, _language(context))


@pass_context
def pct(context: Context, value: float | None, digits: int = 1) -> str:
    """Filter: a share 0-1 as a percentage in the page's language."""
    return percent(value, digits, _language(context))


@pass_context
def span(context: Context, low: Any, high: float | None = None, digits: int = 1) -> str:
    """Filter: ``low|span(high)``, a range in the page's language."""
    return interval(low, high, digits, _language(context))


@pass_context
def pval(context: Context, value: float | None) -> str:
    """Filter: a p-value in the page's language."""
    return p_value(value, _language(context))


@pass_context
def note(context: Context, text: str) -> str:
    """Global: an analysis note or plan departure in the page's language."""
    from server.publication.wording import translate_note  # the catalogue loads on first use only

    return translate_note(text, _language(context))


def count(value: int | None, min_cell: int = 5) -> str:
    """A count, or "<5" where it was suppressed."""
    return f"<{min_cell}" if value is None else str(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment (templates are read once)."""
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, pct=pct, count=count, span=span, pval=pval)
    # Templates print tiers numbered from 1 whatever the stored document's schema.
    env.globals["tier_number"] = tier_number
    env.globals["note"] = note
    return env


def render(name: str, **context: object) -> str:
    """Render `templates/<name>`."""
    return environment().get_template(name).render(**context)
