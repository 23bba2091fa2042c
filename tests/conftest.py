"""Test setup: the suite runs on SQLite (embedded broker) or on Postgres + Redis.

LLAMA_TEST_DB=sqlite|postgres picks the pair. With CI=true a missing service fails the run
instead of skipping it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_DB = os.environ.get("LLAMA_TEST_DB", "sqlite")
PG_ADMIN_DSN = os.environ.get("LLAMA_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("LLAMA_TEST_REDIS", "redis://127.0.0.1:6379/15")
_TMP = Path(tempfile.mkdtemp(prefix="llamalog-test-"))
PG_DB_NAME = f"llama_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _service_missing(what: str) -> None:
    message = f"{what} is not reachable on 127.0.0.1"
    if os.environ.get("CI") == "true":
        pytest.exit(f"CI=true and {message}: failing instead of skipping", returncode=3)
    pytest.skip(message, allow_module_level=True)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    os.environ["LLAMALOG_CONSOLE"] = os.environ.get("LLAMALOG_CONSOLE", "1")
    os.environ["SECRET_KEY"] = "test-secret-key-0123456789abcdef0123456789"
    # No worker threads inside create_app()'s lifespan: tests run the jobs they need themselves.
    os.environ.setdefault("EMBEDDED_WORKER", "0")
    if TEST_DB == "postgres":
        if not _port_open("127.0.0.1", 5432) or not _port_open("127.0.0.1", 6379):
            if os.environ.get("CI") == "true":
                raise pytest.UsageError("CI=true and Postgres or Redis is not reachable on 127.0.0.1")
        base = PG_ADMIN_DSN.rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{PG_DB_NAME}"
        os.environ["REDIS_URL"] = REDIS_TEST_URL
        # Each run has its own keys, so parallel runs on one Redis never see each other.
        os.environ["REDIS_NAMESPACE"] = f"llamatest-{PG_DB_NAME}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'test.sqlite3'}"
        os.environ.pop("REDIS_URL", None)


def pytest_report_header(config: pytest.Config) -> str:
    url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL", "-")
    return f"llamalog: database={TEST_DB} url={url} redis={redis_url}"


async def _create_pg_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{PG_DB_NAME}"')
    finally:
        await conn.close()


async def _drop_pg_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB_NAME}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    """A fresh, migrated database for the whole run."""
    from app.migrate import migrate

    if TEST_DB == "postgres":
        if not _port_open("127.0.0.1", 5432):
            _service_missing("PostgreSQL")
        asyncio.run(_create_pg_database())
    asyncio.run(migrate(quiet=True))
    yield os.environ["DATABASE_URL"]
    if TEST_DB == "postgres":
        asyncio.run(_drop_pg_database())


DATA_TABLES = [
    "fix_candidate",
    "fix_match",
    "matching_settings",
    "matching_change",
    "bulk_item",
    "llama_log",
    "track_artist",
    "album_artist",
    "track",
    "album",
    "artist",
    "upstream_call",
    "source_day",
    "job_day",
    "job_schedule_change",
    "job_schedule",
    "job",
    "api_token",
    "admin_session",
    "admin_user",
]


async def wipe() -> None:
    from app.db import engine

    db = engine()
    if TEST_DB == "postgres":
        await db.run_ddl(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
    else:
        for table in DATA_TABLES:
            await db.run_ddl(f"DELETE FROM {table}")


@pytest.fixture(autouse=True)
async def clean_db(database: str) -> AsyncIterator[None]:
    """Every test starts with empty tables and empty queues."""
    await wipe()
    import tasks.actors  # noqa: F401 - as every entry point does: declares the actors, wires the broker
    import tasks.broker

    if tasks.broker._broker is not None:  # messages an earlier test sent and nobody consumed
        tasks.broker._broker.flush_all()
    from app.auth.users import sessions, throttle

    await throttle.reset()
    sessions.clear()
    # The embedded schedulers' tick claims live for the process (as in production); a tick an
    # earlier test claimed would read as "sent by another scheduler" in the next one.
    from tasks.scheduler import LocalClaims

    LocalClaims._claimed.clear()
    yield


@pytest.fixture
def session_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set SESSION_CACHE_SECONDS for one test."""
    from app.config import get_settings

    def set_seconds(seconds: str) -> None:
        monkeypatch.setenv("SESSION_CACHE_SECONDS", seconds)
        get_settings.cache_clear()

    yield set_seconds
    monkeypatch.delenv("SESSION_CACHE_SECONDS", raising=False)
    get_settings.cache_clear()


@pytest.fixture
def query_counter(session_cache: Callable[[str], None]) -> Iterator[dict[str, int]]:
    """Counts statements sent to the database while the test runs; every request reads its session
    (no SESSION_CACHE_SECONDS window), so a request's count does not depend on the clock."""
    from app.db import engine

    session_cache("0")
    db: Any = engine()
    original = db.run_querystring
    counts = {"n": 0}

    async def counting(querystring: Any, *args: Any, **kwargs: Any) -> Any:
        counts["n"] += 1
        return await original(querystring, *args, **kwargs)

    db.run_querystring = counting
    try:
        yield counts
    finally:
        db.run_querystring = original


ADMIN_USER = "admin"
ADMIN_PASSWORD = "llama-pass-123"


@pytest.fixture
async def admin_user() -> int:
    from app.auth.users import create_admin

    return await create_admin(ADMIN_USER, ADMIN_PASSWORD)


def log_in(client: Any, username: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> Any:
    """Log a TestClient in through the real form (CSRF token from the llama_csrf cookie)."""
    client.get("/login")
    token = client.cookies.get("llama_csrf")
    return client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


def csrf(client: Any) -> dict[str, str]:
    """The header htmx sends with every POST."""
    return {"x-csrftoken": client.cookies.get("llama_csrf") or ""}


@pytest.fixture
def anon_client() -> Iterator[Any]:
    from litestar.testing import TestClient

    from app.main import create_app

    with TestClient(app=create_app(), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def client(admin_user: int, anon_client: Any) -> Any:
    """A TestClient logged in as the admin."""
    response = log_in(anon_client)
    assert response.status_code == 303, response.text
    return anon_client


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The local fake upstream (recorded payloads) with every source pointed at it, fast retries."""
    from app.config import get_settings
    from app.demo.fake_upstream import FakeUpstream
    from app.sources import clients

    with FakeUpstream() as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HTTP_BACKOFF", "0.01")
        monkeypatch.setenv("HTTP_TIMEOUT", "2")
        monkeypatch.setenv("MUSICBRAINZ_RATE", "0")  # the limiter has tests of its own
        get_settings.cache_clear()
        clients.reset()
        try:
            yield fake
        finally:
            clients.reset()
    get_settings.cache_clear()
