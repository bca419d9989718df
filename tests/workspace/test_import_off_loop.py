"""While an uploaded export is being read and checked, the workspace keeps answering other
requests: the import's CPU work runs off the event loop."""

import asyncio
import threading
from pathlib import Path

import pytest

from server.workspace import importer
from server.workspace.roles import Role
from tests.workspace.test_import_page import _upload, export_zip  # noqa: F401  (fixture)

pytestmark = pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True)

#: Only for a broken build: how long the held import waits before giving up, so a
#: regression fails the test instead of hanging it.
GIVE_UP_SECONDS = 60


async def test_another_request_is_answered_while_an_import_is_being_checked(
    export_zip: Path, as_role, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    admin = await as_role(Role.ADMIN)
    other = await as_role(Role.RESEARCHER)
    reading, release = threading.Event(), threading.Event()
    read_zip = importer._read_zip

    def held_read(path: Path, limits: importer.ImportLimits) -> importer._ZipContent:
        # Stands for a large file: the reading is held until the other request is answered.
        reading.set()
        release.wait(GIVE_UP_SECONDS)
        return read_zip(path, limits)

    monkeypatch.setattr(importer, "_read_zip", held_read)
    upload = asyncio.create_task(_upload(admin, export_zip))
    assert await asyncio.to_thread(reading.wait, GIVE_UP_SECONDS), "the import never started reading"
    answered = await other.get("/workspace/studies/")
    # Answered while the import was still held: had the reading blocked the event loop,
    # this request would only have been served after the import finished.
    still_importing = not upload.done()
    release.set()
    imported = await upload
    assert answered.status_code == 200
    assert still_importing
    assert imported.status_code == 200 and "Imported export.zip" in imported.text
