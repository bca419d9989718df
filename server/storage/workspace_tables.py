"""Tables of the researcher workspace: staff accounts, the audit log, study set-up,
kiosk enrolment and invitation codes. Schema changes need a migration in `migrations/`.

Only staff appear here. Nothing in these tables identifies a respondent.
"""

from piccolo.columns import JSON, Boolean, Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.storage.tables import Site, Study


class StaffUser(Table, tablename="staff_user"):
    """A workspace account. `role` is one of `server.workspace.roles.Role`."""

    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    role = Varchar(length=16)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    password_changed_at = Timestamptz(default=TimestamptzNow())
    #: The workspace language the user chose ("da" or "en"); "" follows the browser.
    language = Varchar(length=8, default="")


class AuditEntry(Table, tablename="audit_entry"):
    """One audited action. Append-only: database triggers refuse UPDATE and DELETE.

    `actor` is the staff username as it was at the time (kept as text so the entry
    survives renames and deactivation); "" means the command line without a user.
    """

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=64)
    action = Varchar(length=64, index=True)
    target = Varchar(length=200, default="")
    detail = JSON(default="{}")


class StudyInstrument(Table, tablename="study_instrument"):
    """A questionnaire and language a study uses (one row per pair)."""

    study = ForeignKey(Study, on_delete=OnDelete.cascade)
    instrument = Varchar(length=64)
    language = Varchar(length=8)


class SiteCoordinator(Table, tablename="site_coordinator"):
    """Which sites a site coordinator looks after (coordinators see only these)."""

    staff = ForeignKey(StaffUser, on_delete=OnDelete.cascade)
    site = ForeignKey(Site, on_delete=OnDelete.cascade)


class KioskEnrolment(Table, tablename="kiosk_enrolment"):
    """A one-time code that binds one ward tablet to a site. Only its hash is stored."""

    site = ForeignKey(Site, on_delete=OnDelete.restrict)
    code_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    redeemed_at = Timestamptz(null=True, default=None)
    #: Seconds without a touch before the tablet asks "are you still there?"; null: the server's default.
    idle_seconds = Integer(null=True, default=None)
    #: The tablet's name as typed with the code ("Tablet by the door, ward A"), copied at enrolment.
    label = Varchar(length=100, default="")


class KioskTablet(Table, tablename="kiosk_tablet"):
    """An enrolled ward tablet. Its bearer token is stored only as a hash."""

    site = ForeignKey(Site, on_delete=OnDelete.restrict)
    token_hash = Varchar(length=64, unique=True)
    label = Varchar(length=100, default="")
    enrolled_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    #: Copied from the enrolment when it is redeemed, so each page reads one row; null: the server's default.
    idle_seconds = Integer(null=True, default=None)
    #: When the tablet last presented its token (kept to the minute, to keep writes low); null: never.
    last_seen_at = Timestamptz(null=True, default=None)


class InvitationCode(Table, tablename="invitation_code"):
    """A code that lets a respondent of one group answer on their own device."""

    study = ForeignKey(Study, on_delete=OnDelete.restrict)
    site = ForeignKey(Site, on_delete=OnDelete.restrict, null=True)
    respondent_group = Varchar(length=16)
    code_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    max_uses = Integer(default=1)
    uses = Integer(default=0)
    revoked_at = Timestamptz(null=True, default=None)


class StoreEntry(Table, tablename="workspace_store"):
    """Key-value entries of the shared session and login-throttle store (no Redis needed).

    Expired entries are ignored on read and removed by `delete_expired`.
    """

    key = Varchar(length=255, unique=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None)


class FieldworkTarget(Table, tablename="fieldwork_target"):
    """Completed questionnaires aimed for at one site from one respondent group.

    One row per (site, group): a unique index (migration 2026-12-01T02:50:01) keys the
    upsert in `server.workspace.dashboard.set_target`.
    """

    site = ForeignKey(Site, on_delete=OnDelete.cascade, index=True)
    group = Varchar(length=16, default="")
    target = Integer(default=0)


WORKSPACE_TABLES: list[type[Table]] = [
    StaffUser,
    AuditEntry,
    StudyInstrument,
    SiteCoordinator,
    KioskEnrolment,
    KioskTablet,
    InvitationCode,
    StoreEntry,
    FieldworkTarget,
]
