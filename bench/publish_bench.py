"""Publish benchmark: answer-save latency with and without a publication being computed.

The full app runs in this process's event loop on a SQLite file of its own (as one
serving worker does), filled with PUBLISH_BENCH_RESPONDENTS submitted respondents
(default 400). One client saves answers one after another, first alone, then while a
publication is computed with the default method settings (started as the workspace's
publish button starts it: a background job whose analysis runs in a separate process),
and for comparison while the same publication is computed inside the event loop.
Figures are printed, never asserted.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np

RESPONDENTS = int(os.environ.get("PUBLISH_BENCH_RESPONDENTS", "400"))
QUIET_SAVES = 300
START = {"study": "bench-saves", "site": "w", "group": "patient", "setting": "general_adult", "language": "da", "consent": True}


async def _run() -> None:
    from analysis.settings import GradationSettings
    from bench.export_bench import STUDY, seed
    from server.app import create_app
    from server.instrument_registry import InstrumentRegistry
    from server.publication.job import current_job, start_publication, wait_for_jobs
    from server.publication.store import publish_database
    from server.settings import Settings
    from server.storage.database import engine_for_url, migrate, use_database
    from server.studies import ensure_study

    with tempfile.TemporaryDirectory() as folder:
        engine = engine_for_url(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        use_database(engine)
        await migrate()
        registry = InstrumentRegistry()
        await registry.register_current()
        await seed(registry, RESPONDENTS, seed=5, demographics=False)
        await ensure_study("bench-saves", "Saves", [("w", "Ward", "general_adult")])
        app = create_app(settings=replace(Settings.from_env(), demo_mode=True), engine=engine)
        async with app.lifespan():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                started = (await client.post("/api/v1/responses", json=START)).json()
                response_id = started["id"]
                client.headers["X-Session-Key"] = started["session_key"]
                items = [i["code"] for i in started["items"] if i["type"] == "vas"]

                async def save(n: int) -> float:
                    begin = time.perf_counter()
                    reply = await client.put(f"/api/v1/responses/{response_id}/answers/{items[n % len(items)]}", json={"value": n % 101})
                    reply.raise_for_status()
                    return (time.perf_counter() - begin) * 1000

                for n in range(30):
                    await save(n)
                quiet = [await save(n) for n in range(QUIET_SAVES)]
                begin = time.perf_counter()
                await start_publication("bench", GradationSettings(), [STUDY])
                during: list[float] = []
                while (job := await current_job()) is not None and job.state == "running":
                    during.append(await save(len(during)))
                await wait_for_jobs()
                took = time.perf_counter() - begin
                job = await current_job()
                # For comparison: the same publication computed inside the event loop.
                inline_task = asyncio.create_task(publish_database(registry, GradationSettings(), "bench", [STUDY]))
                inline: list[float] = []
                while not inline_task.done():
                    inline.append(await save(len(inline)))
                await inline_task
        outcome = f"publication {job.number}" if job and job.state == "done" else f"failed: {job.message if job else '?'}"
        print(f"{RESPONDENTS} submitted respondents; the publication took {took:.1f} s ({outcome})")
        print(f"{'answer saves':<32}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}")
        rows = (("alone", quiet), ("during a publication", during), ("during one in the event loop", inline))
        for label, figures in rows:
            if figures:
                print(f"{label:<32}{len(figures):>7}{np.percentile(figures, 50):>9.1f}{np.percentile(figures, 99):>9.1f}")


def main() -> None:
    """Print save p50/p99 alone and while a publication is computed."""
    asyncio.run(_run())


if __name__ == "__main__":
    main()
