"""The document the authority API serves: the analysis document and what an integrator
needs to use it without other sources.

Two top-level keys are added to the analysis document (`leastmeans.gradation/3`):
- `publication`: its number, status, release time, analysed studies, whether the data are
  simulated, the data and plan hashes, software version and respondents;
- `measure_catalogue`: for every measure the document names, its fixed number (the same as
  in exports), its Danish and English label and whether it is legal in Denmark today.
Who reviewed and released stays internal (the audit log has it). Keys are sorted, so the
bytes follow from the content alone; release fixes them for good.
"""

from typing import Any

import msgspec

from server.publication.store import StoredPublication
from surveys.codes import measure_numbers
from surveys.loader import load_catalogue


def _named_measures(document: dict[str, Any]) -> set[str]:
    named = {m["measure"] for g in document.get("groups", []) for m in g.get("measures", [])}
    for tiers in (document.get("reference_gradation") or {}).values():
        named.update(code for tier in tiers for code in tier)
    return named


def measure_catalogue(codes: set[str]) -> dict[str, dict[str, Any]]:
    """Number, labels and legal-today flag of each catalogue measure among `codes`."""
    numbers = measure_numbers()
    return {
        m.code: {"number": numbers[m.code], "label": {"da": m.label["da"], "en": m.label["en"]}, "legal_today": m.legal_today}
        for m in load_catalogue().measures
        if m.code in codes
    }


def publication_block(publication: StoredPublication) -> dict[str, Any]:
    """What the served document says about the publication itself."""
    info = publication.info
    return {
        "number": info.number,
        "status": info.status,
        "released_at": info.released_at.isoformat() if info.released_at else None,
        "studies": info.studies,
        "simulated": info.simulated,
        "data_sha256": info.data_sha256,
        "plan_sha256": info.plan_sha256,
        "software_version": info.software_version,
        "respondents": info.respondents,
        "url": f"/api/v1/gradation/{info.number}",
    }


def publication_document(publication: StoredPublication) -> bytes:
    """The served bytes: the analysis document with `publication` and `measure_catalogue`."""
    document = msgspec.json.decode(publication.gradation)
    document["publication"] = publication_block(publication)
    document["measure_catalogue"] = measure_catalogue(_named_measures(document))
    return msgspec.json.encode(document, order="sorted")
