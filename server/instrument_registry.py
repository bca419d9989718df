"""The questionnaires in use: loaded from `surveys/`, registered as immutable versions.

A version row is written once per distinct content hash and never updated, so every
stored answer keeps pointing at the exact wording it was given under.
"""

from dataclasses import dataclass, field

from litestar.di import NamedDependency

from surveys.loader import load_instruments
from surveys.model import Instrument
from surveys.versioning import canonical_bytes, content_hash, decode_instrument

from server.storage.tables import InstrumentVersion


@dataclass
class InstrumentRegistry:
    """Current instruments by code, and every known version by row id (a read cache)."""

    current: dict[str, tuple[int, str, Instrument]] = field(default_factory=dict)
    by_id: dict[int, Instrument] = field(default_factory=dict)

    async def register_current(self, instruments: dict[str, Instrument] | None = None) -> None:
        """Store a version row for each current instrument (idempotent)."""
        for code, instrument in (instruments or load_instruments()).items():
            digest = content_hash(instrument)
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
        """The first current instrument for a respondent group, by code order."""
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



#: How handlers ask for the app's registry (injected by name).
RegistryDep = NamedDependency[InstrumentRegistry]
