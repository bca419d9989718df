"""Load benchmark: simulated ward tablets against the server as deployed.

The server runs as in production: `leastmeans serve --workers N` (a child process, see
`server.process`) on a PostgreSQL database of its own, created here and dropped
afterwards. The load generator runs in this process (asyncio on uvloop + aiohttp, which
costs far less CPU per request than httpx; on a 2-core machine the generator competes
with the server for the same cores, so its CPU share is printed too). Each simulated
tablet has a keep-alive connection of its own, as each tablet's browser has.

Each simulated tablet does the full respondent flow over and over: start with consent,
answer every item it is shown (following `next_item`, so skip logic is obeyed; the
answers come from `server.demo.synthetic_answer`), submit.

Two kinds of figures per level of 50, 200 and 500 tablets:

- *paced*: each tablet waits a think time between answers (uniform 0.5-1.5 s, several
  times faster than a person reads and answers a question). Latency here is what a
  respondent feels on a busy system; the goal "p99 under 50 ms at 200 tablets" is read
  against this row.
- *saturated*: no think time, every tablet sends its next request as soon as the last
  one is answered; this gives the most answers per second the deployment can store.
  The baseline is `GET /health` (one trivial database round trip: the same stack,
  worker, pool and PostgreSQL, without the save's transaction and validation) driven
  the same way by the same number of clients; the ratio is answers/s over health/s.

Every phase is bounded in time (LOAD_BENCH_SECONDS, default 10). Figures are printed,
never asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import asyncpg
import msgspec
import uvloop

if TYPE_CHECKING:
    from server.respondent.schemas import ItemOut

LEVELS = (50, 200, 500)
WORKERS = int(os.environ.get("LOAD_BENCH_WORKERS", "2"))
PHASE_SECONDS = float(os.environ.get("LOAD_BENCH_SECONDS", "10"))
WARMUP_SECONDS = 3.0
THINK_SECONDS = (0.5, 1.5)
ADMIN_DSN = os.environ.get("BENCH_POSTGRES_DSN") or os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
STUDY, SITE, SETTING = "bench", "ward", "general_adult"
GROUPS = ("patient", "patient", "patient", "relative", "staff")


@dataclass
class PhaseStats:
    """Latencies (seconds) and counts collected during one measured window."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    started: int = 0
    submitted: int = 0
    error_samples: list[str] = field(default_factory=list)
    measuring: bool = False

    def record(self, seconds: float) -> None:
        if self.measuring:
            self.latencies.append(seconds)

    def error(self, what: str) -> None:
        if self.measuring:
            self.errors += 1
            if len(self.error_samples) < 3:
                self.error_samples.append(what)

    def percentile(self, q: float) -> float:
        """The q-th percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --- database ------------------------------------------------------------------------


def _dsn_for(name: str) -> str:
    base, _, _ = ADMIN_DSN.rpartition("/")
    return f"{base}/{name}"


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


#: Each simulated tablet's credentials: its own enrolled tablet's token (patients and
#: relatives) and a staff invitation for its ward (staff), as a real deployment needs.
CREDENTIALS: list[tuple[str, str]] = []
#: The generator starts questionnaires at machine speed, far above the human pace a
#: credential is held to (`server.settings.Settings.starts_per_window`): lifted for the bench.
SERVER_ENV = {"LEASTMEANS_STARTS_PER_WINDOW": "100000000"}


async def _prepare(url: str) -> None:
    """Migrate, create the study and its ward, and enrol one tablet per simulated client, in this process."""
    from server.credentials.kiosk import enrol_tablet
    from server.storage.database import engine_for_url, migrate, use_database
    from server.storage.tables import Site
    from server.studies import ensure_study
    from server.workspace.enrolment import issue_invitations, issue_kiosk_code

    engine = engine_for_url(url)
    use_database(engine)
    await migrate()
    study_id = await ensure_study(STUDY, "Load benchmark", [(SITE, "Ward", SETTING)])
    site = await Site.select(Site.id).where((Site.study == study_id) & (Site.code == SITE)).first()
    clients = max(LEVELS)
    invitations = await issue_invitations(study_id, "staff", clients, created_by=None, site_id=site["id"], max_uses=1000)
    for invitation in invitations:
        enrolled = await enrol_tablet((await issue_kiosk_code(site["id"], created_by=None)).code)
        assert enrolled is not None
        CREDENTIALS.append((enrolled[0], invitation.code))


# --- one simulated tablet ------------------------------------------------------------


class _ItemCode(msgspec.Struct):
    code: str


class _SessionItems(msgspec.Struct):
    id: str
    instrument_version: str
    items: list[_ItemCode]


#: Items already decoded, by (instrument version, code). Decoding every start's full
#: reply (about 19 kB of texts) into structs was a tenth of the generator's CPU, which
#: it takes from the server's cores. The items of a version are the same for every
#: session except the order of a paired item's options, which the simulated answer
#: (it picks by measure) does not depend on.
_DECODED: dict[tuple[str, str], ItemOut] = {}


class _SessionKey(msgspec.Struct):
    session_key: str


def _session_of(raw: bytes) -> tuple[str, dict[str, ItemOut]]:
    """A session reply's id and its items by code, decoded in full only when first seen."""
    from server.respondent.schemas import ResponseOut

    session = msgspec.json.decode(raw, type=_SessionItems)
    if any((session.instrument_version, item.code) not in _DECODED for item in session.items):
        for item in msgspec.json.decode(raw, type=ResponseOut).items:
            _DECODED[(session.instrument_version, item.code)] = item
    return session.id, {item.code: _DECODED[(session.instrument_version, item.code)] for item in session.items}


class Tablet:
    """One ward tablet answering questionnaires back to back."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, stats: PhaseStats, seed: int, think: bool) -> None:
        self.session = session
        self.base = base_url
        self.stats = stats
        self.rng = random.Random(seed)
        self.think = think
        self.tablet_token, self.staff_invitation = CREDENTIALS[seed % len(CREDENTIALS)]

    async def _pause(self) -> None:
        if self.think:
            await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.questionnaire(stop)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self.stats.error(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.1)

    async def questionnaire(self, stop: asyncio.Event) -> None:
        from server.demo import RespondentProfile, synthetic_answer
        from server.respondent.schemas import AnswerSaved

        group = self.rng.choice(GROUPS)
        start = {"study": STUDY, "site": SITE, "group": group, "setting": SETTING, "consent": True}
        headers = {}
        if group == "staff":
            start["invitation"] = self.staff_invitation  # staff answer on their own device
        else:
            headers["authorization"] = f"Bearer {self.tablet_token}"
        async with self.session.post(f"{self.base}/api/v1/responses", json=start, headers=headers) as reply:
            raw = await reply.read()
            if reply.status != 201:
                self.stats.error(f"start {reply.status}: {raw[:200]!r}")
                return
        self.stats.started += self.stats.measuring
        response_id, items = _session_of(raw)
        # Every later call on the session presents the key its start returned.
        bound = {"x-session-key": msgspec.json.decode(raw, type=_SessionKey).session_key}
        order = list(items)
        profile = RespondentProfile(
            group=group,
            offset=self.rng.gauss(0, 10),
            female=self.rng.random() < 0.55,
            experienced=frozenset(m for m in ("belt_short", "holding_short", "acute_sedation") if self.rng.random() < 0.3),
        )
        code: str | None = order[0] if order else None
        done: set[str] = set()
        while code is not None and not stop.is_set():
            done.add(code)
            if code not in items:
                # Shown by skip logic after an earlier answer: re-read the session, as a client must.
                async with self.session.get(f"{self.base}/api/v1/responses/{response_id}", headers=bound) as reply:
                    _, items = _session_of(await reply.read())
                order = list(items)
            answer = synthetic_answer(items[code], profile, self.rng) if code in items else None
            if answer is None:
                # Free text (never filled in by the simulation): move on in order.
                code = next((c for c in order if c not in done), None)
                continue
            await self._pause()
            if stop.is_set():
                return
            began = time.perf_counter()
            async with self.session.put(
                f"{self.base}/api/v1/responses/{response_id}/answers/{code}", data=msgspec.json.encode(answer),
                headers={"content-type": "application/json", **bound},
            ) as reply:
                raw = await reply.read()
            if reply.status != 200:
                self.stats.error(f"save {code} {reply.status}: {raw[:200]!r}")
                code = next((c for c in order if c not in done), None)
                continue
            self.stats.record(time.perf_counter() - began)
            following = msgspec.json.decode(raw, type=AnswerSaved).next_item
            code = following if following not in done else next((c for c in order if c not in done), None)
        if stop.is_set():
            return
        async with self.session.post(f"{self.base}/api/v1/responses/{response_id}/submit", headers=bound) as reply:
            await reply.read()
            if reply.status != 200:
                self.stats.error(f"submit {reply.status}")
                return
        self.stats.submitted += self.stats.measuring


async def _health_client(session: aiohttp.ClientSession, base_url: str, stats: PhaseStats, stop: asyncio.Event) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        try:
            async with session.get(f"{base_url}/health") as reply:
                await reply.read()
                ok = reply.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            stats.error(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(0.1)
            continue
        if ok:
            stats.record(time.perf_counter() - began)
        else:
            stats.error(f"health {reply.status}")


# --- phases --------------------------------------------------------------------------


@dataclass
class PhaseResult:
    stats: PhaseStats
    seconds: float
    client_cpu: float

    @property
    def rate(self) -> float:
        return len(self.stats.latencies) / self.seconds


async def _phase(clients: int, make: Callable[[aiohttp.ClientSession, PhaseStats, asyncio.Event, int], Awaitable[None]]) -> PhaseResult:
    """Run `clients` coroutines: warm up, then measure for PHASE_SECONDS.

    Each client has a keep-alive connection of its own, as each tablet's browser has.
    """
    stats = PhaseStats()
    stop = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=30)
    async with contextlib.AsyncExitStack() as stack:
        sessions = [
            await stack.enter_async_context(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout))
            for _ in range(clients)
        ]
        tasks = [asyncio.create_task(make(session, stats, stop, index)) for index, session in enumerate(sessions)]
        await asyncio.sleep(WARMUP_SECONDS)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        stats.measuring = True
        began = time.perf_counter()
        await asyncio.sleep(PHASE_SECONDS)
        stats.measuring = False
        seconds = time.perf_counter() - began
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return PhaseResult(stats=stats, seconds=seconds, client_cpu=cpu / seconds)


def _tablets(base_url: str, think: bool) -> Callable[[aiohttp.ClientSession, PhaseStats, asyncio.Event, int], Awaitable[None]]:
    def make(session: aiohttp.ClientSession, stats: PhaseStats, stop: asyncio.Event, index: int) -> Awaitable[None]:
        return Tablet(session, base_url, stats, seed=index, think=think).run(stop)

    return make


def _health(base_url: str) -> Callable[[aiohttp.ClientSession, PhaseStats, asyncio.Event, int], Awaitable[None]]:
    def make(session: aiohttp.ClientSession, stats: PhaseStats, stop: asyncio.Event, _: int) -> Awaitable[None]:
        return _health_client(session, base_url, stats, stop)

    return make


def _row(label: str, tablets: int, result: PhaseResult, extra: str = "") -> str:
    s = result.stats
    return (
        f"{label:<10} {tablets:>7} {result.rate:>9.0f} {s.percentile(50):>8.1f} {s.percentile(95):>8.1f} "
        f"{s.percentile(99):>8.1f} {s.errors:>6} {100 * result.client_cpu:>8.0f}%{extra}"
    )


async def _drive(base_url: str) -> None:
    header = f"{'phase':<10} {'tablets':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'gen CPU':>9}"
    print(f"load benchmark: {WORKERS} worker(s), PostgreSQL, {PHASE_SECONDS:.0f} s per phase after {WARMUP_SECONDS:.0f} s warm-up")
    print("req/s of 'paced'/'saturated' are answers saved per second; latency is that of one answer save")
    print(header, flush=True)
    ratios: list[tuple[int, float, float, float]] = []
    for level in LEVELS:
        paced = await _phase(level, _tablets(base_url, think=True))
        print(_row("paced", level, paced), flush=True)
        saturated = await _phase(level, _tablets(base_url, think=False))
        print(_row("saturated", level, saturated, f"  ({saturated.stats.submitted} submitted)"), flush=True)
        baseline = await _phase(level, _health(base_url))
        print(_row("/health", level, baseline), flush=True)
        for result in (paced, saturated, baseline):
            for sample in result.stats.error_samples:
                print(f"    error: {sample[:200]}")
        ratios.append((level, saturated.rate, baseline.rate, saturated.rate / baseline.rate if baseline.rate else float("nan")))
    print("\nanswer-save throughput / baseline (/health) throughput, saturated, same number of clients")
    print(f"{'tablets':>7} {'answers/s':>10} {'health/s':>10} {'ratio':>6}")
    for level, answers, health, ratio in ratios:
        print(f"{level:>7} {answers:>10.0f} {health:>10.0f} {ratio:>6.2f}")


def main() -> None:
    """Create a database, serve it with WORKERS workers, drive the load levels, clean up."""
    from server.process import start_server

    name = f"leastmeans_bench_{uuid.uuid4().hex[:12]}"
    url = _dsn_for(name)
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_prepare(url))
        with tempfile.TemporaryDirectory() as scratch:
            server = start_server(url, Path(scratch) / "server.log", workers=WORKERS, env=SERVER_ENV)
            try:
                # uvloop, as the server uses: the generator shares the cores with the
                # server, so the less CPU it takes per request the truer the figures.
                uvloop.run(_drive(server.base_url))
            finally:
                server.stop()
                tail = server.log().strip().splitlines()[-5:]
                if any("Error" in line or "Traceback" in line for line in tail):
                    print("server log (last lines):", *tail, sep="\n  ")
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        LEVELS = tuple(int(a) for a in sys.argv[1:])
    main()
