"""Errors raised while loading instruments or checking answers; each names where and what."""


class InstrumentError(ValueError):
    """An instrument or catalogue file is broken.

    The message names the file, the path inside it and the reason, so an author can fix
    the file without reading code.
    """

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file = file
        self.path = path
        self.reason = reason
        super().__init__(f"{file}: {path}: {reason}")


class AnswerError(ValueError):
    """An answer does not fit its item; `field` names the offending body field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")
