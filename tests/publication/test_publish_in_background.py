"""Computing a draft from the workspace runs in the background: the button returns at once,
the page shows the job's stage and then the result, a second job meanwhile is refused, and
answer saves served by the same event loop stay fast while the analysis runs."""

import asyncio
import time
from collections.abc import Callable

import numpy as np
import pytest
from httpx import AsyncClient

from server.demo import generate_demo
from server.instrument_registry import InstrumentRegistry
from server.process import run_cli
from server.publication.job import current_job, wait_for_jobs
from server.publication.job_process import EXTRA_CPU_VARIABLE
from server.publication.release import Step
from server.publication.store import list_publications
from server.studies import ensure_study
from server.workspace import audit
from server.workspace.roles import Role
from tests.conftest import database_url
from tests.workspace.conftest import accounts, as_role, csrf_headers, fast_password_hashing, new_client  # noqa: F401  (fixtures)

START = {"study": "saves", "site": "w", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}
#: Seconds of extra CPU the publishing process burns, so the test overlaps it with saves.
SLOW_S = 4.0
#: Generous bound so a busy shared machine does not fail the test; the figure is printed.
P99_BOUND_MS = 250.0


async def _wait_until_finished(timeout_s: float = 180.0) -> None:
    end = time.monotonic() + timeout_s
    while (job := await current_job()) is not None and job.state == "running":
        assert time.monotonic() < end, "the publication did not finish"
        await asyncio.sleep(0.1)


async def test_publish_returns_at_once_and_saves_stay_fast_while_it_runs(
    client: AsyncClient, as_role: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = InstrumentRegistry()
    await registry.register_current()
    await generate_demo(registry, respondents=6, seed=3)
    await ensure_study("saves", "Saves", [("w", "Ward", "general_adult")])
    started = await client.post("/api/v1/responses", json=START)
    assert started.status_code == 201, started.text
    response_id = started.json()["id"]
    items = [i["code"] for i in (await client.get(f"/api/v1/responses/{response_id}")).json()["items"] if i["type"] == "vas"]
    assert items
    monkeypatch.setenv(EXTRA_CPU_VARIABLE, str(SLOW_S))

    async def save(n: int) -> float:
        begin = time.perf_counter()
        reply = await client.put(f"/api/v1/responses/{response_id}/answers/{items[n % len(items)]}", json={"value": n % 101})
        assert reply.status_code == 200, reply.text
        return (time.perf_counter() - begin) * 1000

    for n in range(20):  # warm up (first reads of the questionnaire, connections)
        await save(n)
    quiet = [await save(n) for n in range(100)]

    researcher = await as_role(Role.RESEARCHER)
    pressed = await researcher.post("/workspace/publications/", data={"study": "demo"}, headers=csrf_headers(researcher))
    assert pressed.status_code == 303
    assert await list_publications() == []  # returned before anything was computed
    page = await researcher.get("/workspace/publications/")
    assert page.status_code == 200 and 'data-job="running"' in page.text and "Computing a draft of demo" in page.text
    assert page.headers["refresh"].startswith("3;")
    assert "Compute draft" not in page.text
    second = await researcher.post("/workspace/publications/", data={"study": "demo"}, headers=csrf_headers(researcher))
    assert second.status_code == 409 and "another publication is being computed" in second.text and "researcher-user" in second.text

    during: list[float] = []
    n = 0
    while (job := await current_job()) is not None and job.state == "running":
        during.append(await save(n))
        n += 1
        assert n < 100_000
    await wait_for_jobs()
    p99_quiet, p99_during = float(np.percentile(quiet, 99)), float(np.percentile(during, 99))
    print(f"\nanswer save p99: {p99_quiet:.1f} ms alone, {p99_during:.1f} ms during a publication ({len(during)} saves)")
    assert len(during) >= 20, "saves must have run while the publication was computed"
    assert p99_during < P99_BOUND_MS

    job = await current_job()
    assert job is not None and job.state == "done" and job.number == 1, job
    [draft] = await list_publications()
    assert draft.number == 1 and draft.status == "draft" and draft.studies == ["demo"] and draft.simulated
    done = await researcher.get("/workspace/publications/")
    assert 'data-job="done"' in done.text and "Draft 1 is ready (6 respondents)" in done.text
    assert "refresh" not in done.headers and "Compute draft" in done.text
    entries = [e for e in await audit.entries() if e.action == Step.DRAFTED]
    assert [(e.actor, e.target, e.detail["respondents"], e.detail["simulated"]) for e in entries] == [("researcher-user", "publication:1", 6, True)]
    # The draft's report PDFs were rendered by the job: the download needs no wait.
    pdf = await researcher.get("/workspace/publications/1/report?lang=da&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_a_refused_draft_is_shown_and_frees_the_next(client: AsyncClient, as_role: Callable) -> None:
    await ensure_study("empty", "Empty", [("w", "Ward", "general_adult")])
    admin = await as_role(Role.ADMIN)
    unchosen = await admin.post("/workspace/publications/", data={}, headers=csrf_headers(admin))
    assert unchosen.status_code == 400 and "choose at least one study" in unchosen.text
    pressed = await admin.post("/workspace/publications/", data={"study": "empty"}, headers=csrf_headers(admin))
    assert pressed.status_code == 303
    await _wait_until_finished()
    await wait_for_jobs()
    page = await admin.get("/workspace/publications/")
    assert 'data-job="failed"' in page.text and "no submitted responses in empty" in page.text
    assert await list_publications() == []
    # The claim ended with the job: the command line may compute (and is refused only for lack of data).
    with pytest.raises(RuntimeError, match="no submitted responses"):
        run_cli(database_url(_engine()), "publish", "--study", "empty", "--no-models", "--resamples", "10")


def _engine():  # type: ignore[no-untyped-def]
    from server.storage.database import current_engine

    return current_engine()


async def test_the_command_line_is_refused_while_a_publication_is_computed(client: AsyncClient) -> None:
    from server.publication.job import claim, release

    await claim("researcher-user")
    try:
        with pytest.raises(RuntimeError, match="another publication is being computed"):
            run_cli(database_url(_engine()), "publish", "--study", "empty", "--no-models", "--resamples", "10")
    finally:
        await release()
