"""Bursts: credentials that completed questionnaires faster than people can.

A questionnaire takes a person minutes; a ward tablet passed from one person to the next,
or a shared invitation, does not see more than a few completions in ten minutes. When one
credential submitted more than HUMAN_COMPLETIONS_PER_WINDOW questionnaires within any
WINDOW_S, every response submitted in such a window is flagged: the data-quality report
counts them and a publication leaves them out (`server.publication.store`). The start
limit (`server.credentials.starts`) stops most scripts at the door; this finds what got
past it, and responses made before the limit existed.
"""

import datetime as dt
from collections import defaultdict

from server.credentials.sites import aware
from server.storage.credential_tables import ResponseStart

#: Completions per credential per WINDOW_S above which the pace is not a human one.
HUMAN_COMPLETIONS_PER_WINDOW = 10
WINDOW_S = 600

BURST_RULE = f"more than {HUMAN_COMPLETIONS_PER_WINDOW} questionnaires completed within {WINDOW_S // 60} minutes on one tablet or invitation"


def flagged_in(times: list[tuple[dt.datetime, str]], limit: int = HUMAN_COMPLETIONS_PER_WINDOW, window_s: int = WINDOW_S) -> set[str]:
    """Of one credential's (submitted_at, response id) pairs, those submitted inside a
    window of `window_s` that holds more than `limit` submissions."""
    ordered = sorted(times)
    flagged: set[str] = set()
    first = 0
    for last in range(len(ordered)):
        while (ordered[last][0] - ordered[first][0]).total_seconds() > window_s:
            first += 1
        if last - first + 1 > limit:
            flagged.update(response for _, response in ordered[first : last + 1])
    return flagged


async def burst_responses() -> set[str]:
    """Ids (as text) of submitted responses made in a burst by their credential."""
    rows = await ResponseStart.select(
        ResponseStart.credential, ResponseStart.response.id.as_alias("response"), ResponseStart.response.submitted_at.as_alias("submitted_at")
    ).where(ResponseStart.credential.is_not_null() & ResponseStart.response.submitted_at.is_not_null())
    per_credential: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for row in rows:
        per_credential[row["credential"]].append((aware(row["submitted_at"]), str(row["response"])))
    flagged: set[str] = set()
    for times in per_credential.values():
        flagged |= flagged_in(times)
    return flagged
