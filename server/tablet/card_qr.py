"""The "My order" card as a QR code that holds the card's text itself, drawn as inline SVG.

The code contains the card (plain UTF-8 text), not a link: any QR reader shows it, and
nothing needs to be stored anywhere to read it. Inline SVG from segno keeps the page
within the content security policy (presentation attributes only, no `style=`).
"""

import segno
from markupsafe import Markup

#: L (7 % recovery): the card is read from a screen or a fresh print, and the lowest level
#: keeps a long card's symbol coarse enough for a phone camera.
ERROR_LEVEL = "l"
#: The quiet zone the QR standard asks for, in modules.
BORDER = 4
#: The symbol is drawn this wide in CSS pixels whatever its version, so it fits a phone.
SIZE = 300


def card_qr_svg(text: str, label: str) -> Markup:
    """`text` as an inline SVG QR code; `label` is its accessible name."""
    symbol = segno.make(text, error=ERROR_LEVEL, micro=False, encoding="utf-8")
    width = symbol.symbol_size(scale=1, border=BORDER)[0]
    # segno escapes `title` itself, so the result is markup we built, never raw input.
    svg = symbol.svg_inline(
        scale=1, border=BORDER, title=label, svgclass="card-qr", lineclass="card-qr-modules", omitsize=True, light="#fff"
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" width="{SIZE}" height="{SIZE}" data-modules="{width}" ', 1))
