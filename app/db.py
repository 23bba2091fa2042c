"""The database engine (SQLite or Postgres from DATABASE_URL) and write transactions."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from piccolo.columns import Column
from piccolo.columns.combination import And, Or, Where, WhereRaw
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from app.config import Settings

if TYPE_CHECKING:
    import aiosqlite
    from asyncpg import Connection, Pool

SQLITE_TIMEOUT = 10.0


class LlamaPostgresTransaction(PostgresTransaction):
    """Piccolo's transaction, but the connection always goes back and the transaction always ends.

    When the connection dies mid-transaction (backend killed, network cut) Piccolo's rollback raises
    before it releases the connection and resets `current_transaction`: the pool then never closes
    and later queries in the same task run on the dead connection (tests/drills/test_failed_write.py).
    """

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back and not self.connection.is_closed():
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            try:
                if self.engine.pool:
                    await self.engine.pool.release(self.connection)
                else:
                    await self.connection.close()
            finally:
                self.engine.current_transaction.reset(self.context)
        return exception is None


class LoopPostgresEngine(PostgresEngine):
    """A Postgres engine whose pool belongs to one event loop.

    Litestar, Dramatiq's AsyncIO thread and tests each run their own loop; an asyncpg pool
    cannot cross loops, so a loop without its own pool falls back to fresh connections.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pools: dict[int, Pool] = {}
        super().__init__(*args, **kwargs)

    def transaction(self, allow_nested: bool = True) -> LlamaPostgresTransaction:
        return LlamaPostgresTransaction(engine=self, allow_nested=allow_nested)

    async def start_connection_pool(self, **kwargs: Any) -> None:
        kwargs.setdefault("reset", keep_session)
        await super().start_connection_pool(**kwargs)

    @staticmethod
    def _loop_key() -> int:
        try:
            return id(asyncio.get_running_loop())
        except RuntimeError:
            return 0

    @property  # type: ignore[override]
    def pool(self) -> Pool | None:
        return self._pools.get(self._loop_key())

    @pool.setter
    def pool(self, value: Pool | None) -> None:
        if value is None:
            self._pools.pop(self._loop_key(), None)
        else:
            self._pools[self._loop_key()] = value


async def keep_session(connection: Connection) -> None:
    """What a pooled connection needs undone on release: nothing beyond what asyncpg always does.

    asyncpg rolls back a transaction left open, then by default sends one more statement (unlock
    advisory locks, close cursors, UNLISTEN, RESET ALL) on every release: a round trip per query.
    This app sets no session state (its advisory locks, cursors and settings, if any, are
    transaction-scoped), so that statement has nothing to undo.
    """


class LlamaSQLiteEngine(SQLiteEngine):
    """SQLite in WAL mode whose write transactions take the lock up front (no 'database is locked')."""

    def transaction(self, *args: Any, **kwargs: Any) -> SQLiteTransaction:
        kwargs.setdefault("transaction_type", TransactionType.immediate)
        return super().transaction(*args, **kwargs)

    async def get_connection(self) -> aiosqlite.Connection:
        connection = await super().get_connection()
        await connection.execute("PRAGMA busy_timeout = 10000")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


# What `Table.update()` takes: column (or its name) → new value.
ColumnUpdates: TypeAlias = dict[Column | str, object]
# A where clause: `column == value`, a raw one, or several joined with & and |.
Clause: TypeAlias = Where | WhereRaw | And | Or


class Savepoint(Protocol):
    async def release(self) -> None: ...

    async def rollback_to(self) -> None: ...


class Transaction(Protocol):
    """What `transaction()` gives on either engine; leaving it never swallows the exception."""

    async def __aenter__(self) -> Transaction: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def savepoint(self, name: str | None = None) -> Savepoint: ...


def build_engine(settings: Settings) -> Engine:
    if settings.is_postgres:
        return LoopPostgresEngine(config={"dsn": settings.database_url})
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return LlamaSQLiteEngine(path=str(path), timeout=SQLITE_TIMEOUT)


def engine() -> Engine:
    from piccolo.engine import engine_finder

    found = engine_finder()
    assert found is not None, "piccolo_conf.py defines DB"
    return found


def transaction() -> Transaction:
    """A write transaction; nested calls join the outer one."""
    return engine().transaction()


def like_escape(text: str) -> str:
    """`text` as a LIKE literal: %, _ and the escape character match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Column, text: str) -> WhereRaw:
    """A where clause: `column` contains `text`, ignoring case (ILIKE on Postgres, LIKE on SQLite)."""
    operator = "ILIKE" if column._meta.engine_type == "postgres" else "LIKE"
    name = column._meta.db_column_name
    return WhereRaw(f"{name} {operator} {{}} ESCAPE '\\'", f"%{like_escape(text)}%")
