"""Which field of which form a refusal is about, so a page sent back after a refusal can
mark that field (aria-invalid) and say why next to it (templates: workspace/_fields.html)."""

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """A refused field: `form` tells apart forms on one page (and a site's own form:
    "kiosk-3"), `field` is the input's name, `reason` what is wrong with it."""

    form: str
    field: str
    reason: str
