"""Refusals of a start for want of a credential, or for starting too often."""


class CredentialRequired(Exception):
    """No enrolled tablet and no valid invitation came with a start (and no demo mode)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooManyStarts(Exception):
    """This credential started more questionnaires than people can answer in the window."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many starts; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class InvitationUsedUp(Exception):
    """The invitation's last use was taken (perhaps by a parallel start)."""
