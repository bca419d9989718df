"""How each questionnaire was started: its credential and the client's start key.

One row per response started with a credential or a start key (demo starts without a key
write none). It holds no respondent data: `credential` names the ward tablet
("kiosk:<id>") or a shared multi-use invitation ("invitation:<id>"); a single-use
invitation is never named, because a researcher might remember whom it was given to.
`key_hash` is the SHA-256 of the client's random start key, so a retried start finds the
session it already made.
"""

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.storage.tables import Response


class ResponseStart(Table, tablename="response_start"):
    """The credential and start key of one started response (deleted with it)."""

    response = ForeignKey(Response, on_delete=OnDelete.cascade, unique=True)
    credential = Varchar(length=40, null=True, default=None, index=True)
    key_hash = Varchar(length=64, null=True, default=None, unique=True)
    started_at = Timestamptz(default=TimestamptzNow())


CREDENTIAL_TABLES: list[type[Table]] = [ResponseStart]
