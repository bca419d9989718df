"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

Each test gets its own database (a new SQLite file, or a new PostgreSQL database that is
dropped afterwards), so runs never see each other's data. Under CI=true a missing
PostgreSQL is a failure, not a skip.

Running every migration takes seconds per database; a test process therefore migrates one
template database of each kind, the first time a test needs one, and gives each test a
copy of it (SQLite's backup API, PostgreSQL's CREATE DATABASE ... TEMPLATE): the same
schema and rows as a fresh migration, in a tenth of the time. The migrations themselves
run from an empty database in tests/server/test_migrations.py.
"""

import asyncio
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar
from piccolo.engine.base import Engine

from server.app import create_app
from server.settings import Settings
from server.storage.database import engine_for_url, migrate, use_database
from tests.session_keys import SessionKeys

POSTGRES_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


async def _postgres_admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_DSN}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _dsn_for(name: str) -> str:
    base, _, _ = POSTGRES_ADMIN_DSN.rpartition("/")
    return f"{base}/{name}"


async def _create_postgres_database(template: str | None = None) -> str:
    name = f"leastmeans_test_{uuid.uuid4().hex[:12]}"
    admin = await _postgres_admin()
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await admin.close()
    return name


async def _drop_postgres_database(name: str) -> None:
    admin = await _postgres_admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class MigratedTemplates:
    """This process's migrated template databases, made the first time each is needed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sqlite: Path | None = None
        self.postgres: str | None = None

    async def sqlite_template(self) -> Path:
        """A migrated SQLite file, checkpointed so a page-by-page copy holds everything."""
        if self.sqlite is None:
            path = self.folder / "template.sqlite3"
            use_database(engine_for_url(f"sqlite:///{path}"))
            await migrate()
            with sqlite3.connect(path) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            self.sqlite = path
        return self.sqlite

    async def postgres_template(self) -> str:
        """The name of a migrated PostgreSQL database that nothing stays connected to
        (CREATE DATABASE ... TEMPLATE refuses a template in use)."""
        if self.postgres is None:
            name = await _create_postgres_database()
            use_database(engine_for_url(_dsn_for(name)))
            await migrate()
            admin = await _postgres_admin()
            try:
                await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
            finally:
                await admin.close()
            self.postgres = name
        return self.postgres


@pytest.fixture(scope="session")
async def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MigratedTemplates]:
    """The process's template databases (the PostgreSQL one is dropped at the end)."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    if templates.postgres is not None:
        await _drop_postgres_database(templates.postgres)


def _copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


#: The ids of the live engines whose database started as a copy of the migrated template.
_MIGRATED: set[int] = set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only: the test checks pages, HTTP or statistics, no storage behaviour: its database is SQLite only",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `sqlite_only` (a module's `pytestmark` may mark all of its tests) get
    only the SQLite database; the tests of storage run on both kinds.

    The mark becomes the same `parametrize` mark a test could carry itself, added before
    pytest expands the marks and the fixtures' own params, so it takes their place."""
    if metafunc.definition.get_closest_marker("sqlite_only") and "bare_engine" in metafunc.fixturenames:
        metafunc.definition.add_marker(pytest.mark.parametrize("bare_engine", ["sqlite"], indirect=True))


@pytest.fixture(params=["sqlite", "postgres"])
async def bare_engine(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> AsyncIterator[Engine]:
    """An empty database of each kind (no migrations run), used by every table.

    When the test also uses `engine`, the database starts as a copy of the migrated
    template instead, which `engine` then hands on without migrating again.
    """
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        if migrated:
            _copy_sqlite(await migrated_templates.sqlite_template(), path)
        engine = engine_for_url(f"sqlite:///{path}")
        name = None
    else:
        template = await migrated_templates.postgres_template() if migrated else None
        name = await _create_postgres_database(template)
        engine = engine_for_url(_dsn_for(name))
    if migrated:
        _MIGRATED.add(id(engine))
    try:
        use_database(engine)
        yield engine
    finally:
        _MIGRATED.discard(id(engine))
        if name is not None:
            await _drop_postgres_database(name)


@pytest.fixture
async def engine(bare_engine: Engine) -> AsyncIterator[Engine]:
    """A freshly migrated database of each kind, used by every table."""
    if id(bare_engine) not in _MIGRATED:
        await migrate()
    yield bare_engine


@pytest.fixture
async def client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to a full app on the test database, in demo mode: most
    tests start questionnaires anonymously (`strict_client` is the same app without)."""
    async with _client_for(create_app(settings=replace(Settings.from_env(), demo_mode=True), engine=engine)) as test_client:
        yield test_client


@pytest.fixture
async def strict_client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a full app as deployed: starts need an enrolled tablet or an invitation."""
    async with _client_for(create_app(settings=replace(Settings.from_env(), demo_mode=False), engine=engine)) as test_client:
        yield test_client


@asynccontextmanager
async def _client_for(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        # Like a real client, it keeps each session's key and presents it (`SessionKeys`).
        hooks = SessionKeys().hooks()
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", event_hooks=hooks) as test_client:
            yield test_client


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """Run the app's lifespan in the test's event loop.

    The lifespan is entered and left inside one task of its own, because pytest-asyncio
    may set up and tear down a fixture in different tasks.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
async def empty_database_url(engine: Engine, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a second, empty database of the same kind as `engine` (dropped afterwards)."""
    if engine.engine_type == "sqlite":
        yield f"sqlite:///{tmp_path / 'second.sqlite3'}"
        return
    name = await _create_postgres_database()
    try:
        yield _dsn_for(name)
    finally:
        await _drop_postgres_database(name)


def database_url(engine: Engine) -> str:
    """The URL an engine was built from (for subprocesses and backups)."""
    if engine.engine_type == "sqlite":
        return f"sqlite:///{engine.path}"
    return engine.config["dsn"]


async def tablet_headers(study: str, site: str) -> dict[str, str]:
    """The API credential of a newly enrolled ward tablet at `site` of `study` (on the
    current database): its bearer token in an Authorization header."""
    from server.credentials.kiosk import enrol_tablet
    from server.storage.tables import Site
    from server.workspace.enrolment import issue_kiosk_code

    row = await Site.select(Site.id).where((Site.code == site) & (Site.study.code == study)).first()
    assert row is not None, f"no site {study}/{site}"
    enrolled = await enrol_tablet((await issue_kiosk_code(row["id"], created_by=None)).code)
    assert enrolled is not None
    return {"authorization": f"Bearer {enrolled[0]}"}


async def flush_redis(url: str) -> None:
    """Delete the app's keys from the Redis database at `url` (tests that run the app on
    the Redis store use a database number of their own, so parallel files never meet)."""
    import redis.asyncio as aioredis

    connection = aioredis.from_url(url)
    try:
        keys = await connection.keys("leastmeans*")
        if keys:
            await connection.delete(*keys)
    finally:
        await connection.aclose()


@pytest.fixture(params=["database", "redis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store holds sessions and limits; Redis runs once, next to SQLite (skipped
    before a database is made for nothing)."""
    if request.param == "redis" and request.node.callspec.params.get("bare_engine") != "sqlite":
        pytest.skip("the Redis store is exercised once, next to SQLite")
    return request.param
