"""The questionnaires in use: loaded from `surveys/`, registered as immutable versions.

A version row is written once per distinct content hash and never updated, so every
stored answer keeps pointing at the exact wording it was given under. Which ward settings
each questionnaire serves is held beside the versions, not in them (it is routing, and
changing it must not make a new version); `server.respondent.questionnaire_choice`
decides which questionnaire a respondent gets.
"""

from dataclasses import dataclass, field

from litestar.di import NamedDependency

from surveys.errors import InstrumentError
from surveys.loader import STRUCTURE_FILE, load_instrument_settings, load_instruments
from surveys.model import SETTINGS, Instrument
from surveys.versioning import canonical_bytes, content_hash, decode_instrument, option_order_changes

from server.storage.tables import InstrumentVersion


@dataclass
class InstrumentRegistry:
    """Current instruments by code, and every known version by row id (a read cache)."""

    current: dict[str, tuple[int, str, Instrument]] = field(default_factory=dict)
    by_id: dict[int, Instrument] = field(default_factory=dict)
    #: The ward settings each current instrument serves, by code.
    settings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    async def register_current(
        self, instruments: dict[str, Instrument] | None = None, settings: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        """Store a version row for each current instrument (idempotent).

        `settings` says which ward settings each serves; by default what its folder in
        `surveys/instruments` declares, and every setting for an instrument without one.
        """
        declared = load_instrument_settings() if settings is None else settings
        for code, instrument in (instruments or load_instruments()).items():
            self.settings[code] = declared.get(code, SETTINGS)
            digest = content_hash(instrument)
            await refuse_reordered_options(code, digest, instrument)
            await (
                InstrumentVersion.insert(
                    InstrumentVersion(instrument=code, content_hash=digest, content=canonical_bytes(instrument).decode())
                )
                .on_conflict(target=InstrumentVersion.content_hash, action="DO NOTHING")
                .run()
            )
            row = await InstrumentVersion.select(InstrumentVersion.id).where(InstrumentVersion.content_hash == digest).first()
            assert row is not None
            self.current[code] = (row["id"], digest, instrument)
            self.by_id[row["id"]] = instrument

    def default_for_group(self, group: str) -> str | None:
        """The first current instrument for a respondent group, by code order, whatever
        the study and ward; only for callers that know neither (the consent API without
        an instrument). A start is decided by `questionnaire_choice`."""
        for code in sorted(self.current):
            if self.current[code][2].group == group:
                return code
        return None

    async def version(self, version_id: int) -> Instrument:
        """The instrument content of a stored version (cached; versions never change)."""
        if version_id not in self.by_id:
            row = await (
                InstrumentVersion.select(InstrumentVersion.content, InstrumentVersion.content_hash)
                .where(InstrumentVersion.id == version_id)
                .first()
            )
            if row is None:
                raise KeyError(version_id)
            # Verifying the hash makes a stored version that was edited in place fail loudly
            # instead of silently changing the meaning of the answers given under it.
            self.by_id[version_id] = decode_instrument(row["content"], expected_hash=row["content_hash"])
        return self.by_id[version_id]


async def refuse_reordered_options(code: str, digest: str, instrument: Instrument) -> None:
    """Refuse a new version of `code` in which an option of a stored version moved or vanished.

    Raises InstrumentError naming the file, and each item and option. A version that is
    already stored was checked when it was first registered, so it is not checked again.
    """
    if await InstrumentVersion.exists().where(InstrumentVersion.content_hash == digest):
        return
    rows = await (
        InstrumentVersion.select(InstrumentVersion.content, InstrumentVersion.content_hash)
        .where(InstrumentVersion.instrument == code)
        .order_by(InstrumentVersion.id)
    )
    for row in rows:
        changes = option_order_changes(decode_instrument(row["content"], expected_hash=row["content_hash"]), instrument)
        if changes:
            raise InstrumentError(
                f"{code}/{STRUCTURE_FILE}",
                "option_sets",
                f"options may only be added at the end of a list, because the codebook numbers answers by "
                f"position (compared with stored version {row['content_hash'][:12]}): {'; '.join(changes)}; "
                "to reorder or drop options, give the item a new code",
            )


#: How handlers ask for the app's registry (injected by name).
RegistryDep = NamedDependency[InstrumentRegistry]
