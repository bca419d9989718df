"""The "My order" card as a PDF to download on the respondent's own device.

Built in memory from the card as posted (WeasyPrint, A5) and sent as an attachment; it is
never written to disk on the server.
"""

from typing import Any

from jinja2 import Environment

#: The card's own template: a self-contained A5 page (inline CSS, the QR code inline).
TEMPLATE = "card_pdf.html"


def card_pdf(env: Environment, context: dict[str, Any]) -> bytes:
    """The card rendered with `context` (as the screen's) as a one-page A5 tagged PDF
    (PDF/UA-1: structure, language, title)."""
    from weasyprint import HTML

    html = env.get_template(TEMPLATE).render(**context)
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def filename(lang: str) -> str:
    """The download's name, in the respondent's language (no date, nothing about them)."""
    return "min-raekkefoelge.pdf" if lang == "da" else "my-order.pdf"
