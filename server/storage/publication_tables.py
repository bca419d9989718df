"""Tables of published gradations and of the authority's API tokens.

Schema changes need a migration in `migrations/`. A publication's content columns are
written once and never updated: the analysis JSON is kept as text, byte for byte. The
release gate moves `status` from draft to reviewed to released to public, each step once
and in that order; at release the served document is fixed in `served`, so a released
link serves the very same bytes forever.
"""

from piccolo.columns import Boolean, Bytea, Integer, Text, Timestamptz, Varchar
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
    #: Kept equal to `status == "public"` (the column predates the status).
    is_public = Boolean(default=False)
    #: "draft", "reviewed", "released" or "public" (`server.publication.release`).
    status = Varchar(length=16, default="draft")
    #: The analysed study codes, a JSON list.
    studies = Text(default="[]")
    #: True when an analysed study holds simulated (demo) data: never released.
    simulated = Boolean(default=False)
    plan_sha256 = Varchar(length=64, default="")
    reviewed_at = Timestamptz(null=True, default=None)
    reviewed_by = Varchar(length=64, default="")
    released_at = Timestamptz(null=True, default=None)
    released_by = Varchar(length=64, default="")
    #: Why data and plan identical to an earlier release were released again.
    release_reason = Text(default="")
    #: The exact bytes the authority API serves, fixed at release (None before release,
    #: and for publications released before the gate, which serve `gradation`).
    served = Text(null=True, default=None)


class ApiToken(Table, tablename="publication_api_token"):
    """A revocable bearer token for the authority API. Only its sha256 is stored."""

    label = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    created_by = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class PublicationReport(Table, tablename="publication_report"):
    """A rendered report PDF of one publication in one language, for the status it was
    rendered at ("draft" for a draft or reviewed publication, "released" after release).

    Rendering takes seconds, so it happens in the background job, never in a request."""

    number = Integer(index=True)
    language = Varchar(length=2)
    status = Varchar(length=16)
    pdf = Bytea()
    rendered_at = Timestamptz(null=True, default=None)


PUBLICATION_TABLES: list[type[Table]] = [Publication, ApiToken, PublicationReport]
