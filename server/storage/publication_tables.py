"""Tables of published gradations and of the authority's API tokens.

Schema changes need a migration in `migrations/`. A publication's content columns are
written once and never updated: the `leastmeans.gradation/1` JSON is kept as text, byte
for byte, so an old link serves the very same bytes forever. Only `is_public` (a
visibility switch, not content) may change later.
"""

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Publication(Table, tablename="publication"):
    """One numbered, immutable snapshot of a gradation as it left the building.

    `published_by` is the staff username as it was at the time (text, like the audit
    log, so it survives renames); "" means the command line.
    """

    number = Integer(unique=True)
    published_at = Timestamptz(default=TimestamptzNow())
    published_by = Varchar(length=64, default="")
    #: The served `leastmeans.gradation/1` JSON, small cells already suppressed.
    gradation = Text()
    #: sha256 of `gradation`; the strong ETag of the unfiltered document.
    gradation_sha256 = Varchar(length=64)
    #: The method settings (`analysis.settings.GradationSettings`) as JSON.
    method_settings = Text()
    data_sha256 = Varchar(length=64)
    software_version = Varchar(length=64)
    respondents = Integer()
    #: Report-only aggregates computed at publication time (data quality per site and
    #: week, subgroup comparisons), already suppressed; JSON.
    report_data = Text()
    is_public = Boolean(default=False)


class ApiToken(Table, tablename="publication_api_token"):
    """A revocable bearer token for the authority API. Only its sha256 is stored."""

    label = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    created_by = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


PUBLICATION_TABLES: list[type[Table]] = [Publication, ApiToken]
