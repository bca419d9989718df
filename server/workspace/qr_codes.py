"""QR codes drawn on the server as inline SVG, so a printed or shown invitation can be
scanned straight into the questionnaire.

Inline SVG needs no image request and no `data:` URL, and segno writes presentation
attributes only (`stroke=`, `transform=`), never `style=`: the page stays within the
content security policy, which forbids inline styles.
"""

import segno
from markupsafe import Markup

#: M (15 % recovery) survives a crumpled or smudged handout and keeps the symbol small.
ERROR_LEVEL = "m"
#: The quiet zone the QR standard asks for, in modules.
BORDER = 4


def qr_svg(text: str, label: str, scale: int = 4) -> Markup:
    """`text` as an inline SVG QR code, `scale` pixels per module; `label` is its accessible name."""
    symbol = segno.make(text, error=ERROR_LEVEL, micro=False)
    # segno escapes `title` itself, so the result is markup we built, never raw user input.
    svg = symbol.svg_inline(scale=scale, border=BORDER, title=label, svgclass="qr", lineclass="qr-modules")
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))
