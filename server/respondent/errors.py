"""Domain errors of the respondent flow; the app maps each to one HTTP status."""


class ResponseNotFound(LookupError):
    """No questionnaire session with this id (404)."""


class ResponseSubmitted(RuntimeError):
    """The questionnaire was submitted; it takes no more answers (409)."""


class ResponseReleased(RuntimeError):
    """The device let the session go (kiosk wipe, pause): an answer already stored cannot
    be changed any more, though one still on its way from the device is taken (409)."""


class InvalidInput(ValueError):
    """A request field is wrong (400); `field` names it, `source` says where it was sent
    ("body", "query" or "path")."""

    def __init__(self, field: str, reason: str, source: str = "body") -> None:
        self.field = field
        self.reason = reason
        self.source = source
        super().__init__(f"{field}: {reason}")
