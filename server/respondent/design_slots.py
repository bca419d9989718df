"""Handing out paired-design slots: each start of a version and setting gets the next one.

The slot numbers respondents in start order, which keeps the balanced paired-comparison
design balanced. It is taken by one upsert on a counter row (`design_slot_counter`)
inside the start's write transaction: PostgreSQL locks the row for the rest of that
transaction and SQLite's IMMEDIATE transaction serialises writers, so two simultaneous
starts never get the same slot. The first start of a version and setting continues after
any slot already stored (e.g. responses from before the counter existed).
"""

from server.storage.tables import DesignSlotCounter

#: The upsert that takes a slot (also used inside the start statement of `session_store`).
NEXT_SLOT_SQL = (
    "INSERT INTO design_slot_counter (instrument_version, setting, next_slot)"
    " VALUES ({}, {}, (SELECT COALESCE(MAX(design_slot), -1) + 2 FROM response WHERE instrument_version = {} AND setting = {}))"
    " ON CONFLICT (instrument_version, setting) DO UPDATE SET next_slot = design_slot_counter.next_slot + 1"
    " RETURNING next_slot"
)


async def take_design_slot(version_id: int, setting: str) -> int:
    """The slot for a new response; call inside the start's `write_transaction()`."""
    rows = await DesignSlotCounter.raw(NEXT_SLOT_SQL, version_id, setting, version_id, setting)
    # The row holds the slot after the one just taken.
    return int(rows[0]["next_slot"]) - 1
