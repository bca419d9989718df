"""The Jinja environment of this package's templates (report, public page, workspace
pages): autoescaped, with number formatting that prints "–" for a missing value."""

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def fmt(value: float | None, digits: int = 1) -> str:
    """A number as printed in every table of this package."""
    return "–" if value is None else f"{value:.{digits}f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A share 0-1 as a percentage."""
    return "–" if value is None else f"{100 * value:.{digits}f} %"


def count(value: int | None, min_cell: int = 5) -> str:
    """A count, or "<5" where it was suppressed."""
    return f"<{min_cell}" if value is None else str(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment (templates are read once)."""
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, pct=pct, count=count)
    return env


def render(name: str, **context: object) -> str:
    """Render `templates/<name>`."""
    return environment().get_template(name).render(**context)
