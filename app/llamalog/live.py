"""The live log: one poller per event loop reads new rows once a tick and fans them out.

However many browsers follow /logs, the database sees one small indexed query per tick (none when
nobody listens); each follower filters the shared batch in Python and sends what matches.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from piccolo.columns.combination import Or, Where

from app.llamalog.filters import FilterError, LogFilter
from app.llamalog.queries import fetch_page, job_tree, rows_since
from app.llamalog.rows import LogRow
from app.llamalog.tables import LlamaLog

log = logging.getLogger("llamalog.live")

# Half a second keeps insert-to-visible under 1 s with room to spare (the wait for the next tick is
# uniform over 0-POLL_SECONDS), for one small indexed query per tick; none while nobody follows.
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
# A stream ends after this long; EventSource reconnects with Last-Event-ID and loses nothing.
STREAM_SECONDS = 300.0
BATCH = 500
# Ids below the newest row that have not shown up yet belong to transactions still open (Postgres
# hands out ids before commit); wait this long for them before taking them as rolled back.
GAP_SECONDS = 10.0
QUEUE_BATCHES = 100

Row = LogRow


class Feed:
    """New rows for every follower in this event loop, from one query per tick."""

    def __init__(self) -> None:
        self.followers: set[asyncio.Queue[list[Row] | None]] = set()
        self.polls = 0
        self._floor: int | None = None
        self._seen: set[int] = set()
        self._gaps: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    async def subscribe(self) -> asyncio.Queue[list[Row] | None]:
        """A queue of batches; rows committed from now on reach it (after the floor is known)."""
        queue: asyncio.Queue[list[Row] | None] = asyncio.Queue(maxsize=QUEUE_BATCHES)
        async with self._starting:
            if self._floor is None:
                newest = await LlamaLog.select(LlamaLog.id).order_by(LlamaLog.id, ascending=False).first()
                self._floor = newest["id"] if newest else 0
        self.followers.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return queue

    @property
    def floor(self) -> int:
        """Every row up to here was on file before the feed's followers started listening."""
        return self._floor or 0

    def unsubscribe(self, queue: asyncio.Queue[list[Row] | None]) -> None:
        self.followers.discard(queue)

    async def _run(self) -> None:
        try:
            while self.followers:
                await asyncio.sleep(POLL_SECONDS)
                if not self.followers:
                    break
                try:
                    rows = await self._poll()
                except Exception:
                    # A database hiccup must not end the feed for everyone: try again next tick.
                    log.exception("live log: polling for new rows failed")
                    continue
                if rows:
                    self._fan_out(rows)
        finally:
            # Nobody listens: forget the position, so a wiped or restored table is read afresh.
            if not self.followers:
                self._floor, self._seen, self._gaps = None, set(), {}

    def _fan_out(self, rows: list[Row]) -> None:
        for queue in list(self.followers):
            try:
                queue.put_nowait(rows)
            except asyncio.QueueFull:
                # A follower that cannot keep up is dropped; its browser reconnects and catches up.
                self.followers.discard(queue)
                queue.get_nowait()
                queue.put_nowait(None)

    async def _poll(self) -> list[Row]:
        floor = self._floor or 0
        self.polls += 1
        rows = await rows_since(LogFilter(limit=BATCH), floor)
        fresh = [row for row in rows if row["id"] not in self._seen]
        self._seen.update(row["id"] for row in fresh)
        top = max((row["id"] for row in rows), default=floor)
        now = time.monotonic()
        for missing in range(floor + 1, top):
            if missing not in self._seen:
                self._gaps.setdefault(missing, now)
        self._gaps = {i: t for i, t in self._gaps.items() if i not in self._seen and now - t < GAP_SECONDS}
        self._floor = min(self._gaps) - 1 if self._gaps else top
        self._seen = {i for i in self._seen if i > self._floor}
        return fresh


_feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Feed] = weakref.WeakKeyDictionary()


def feed() -> Feed:
    """The feed of the running event loop (the web server has one loop; tests make many)."""
    loop = asyncio.get_running_loop()
    if loop not in _feeds:
        _feeds[loop] = Feed()
    return _feeds[loop]


def resume_from(last_event_id: str | None, after: str | None) -> int | None:
    """Where a stream starts: the browser's Last-Event-ID on a reconnect, else the page's `after`."""
    for name, raw in (("Last-Event-ID", last_event_id), ("after", after)):
        if raw is not None and raw.strip():
            try:
                return int(raw)
            except ValueError:
                raise FilterError(f"{name}: {raw!r} is not a row number") from None
    return None


def _text_hit(needle: str, *values: object) -> bool:
    needle = needle.lower()  # wildcards are literals in SQL too (escaped)
    return any(needle in str(v).lower() for v in values if v)


def matches(flt: LogFilter, row: Row) -> bool:
    """The Python twin of queries.filter_clauses, for rows already in memory."""
    checks = (
        not flt.categories or row["category"] in flt.categories,
        not flt.entity_type or row["entity_type"] == flt.entity_type,
        not flt.status or row["status"] == flt.status,
        not flt.source or flt.source in (row.get("sources") or []),
        not flt.since or _aware(row["created_at"]) >= flt.since,
        not flt.until or _aware(row["created_at"]) < flt.until,
        not flt.job or flt.job in (row.get("job_id"), row.get("root_job_id"), row.get("parent_job_id")),
        not flt.q or _text_hit(flt.q, row.get("entity_label"), row["operation"], row.get("error_message")),
    )
    if not all(checks):
        return False
    if flt.operation:
        if flt.operation.endswith("*"):
            return str(row["operation"]).startswith(flt.operation[:-1])
        return row["operation"] == flt.operation
    return True


class JobTree:
    """The live twin of the job filter: job X and every job known below it, read from the database
    when a stream starts, then grown from each new row's parent link (a grandchild started after the
    page opened shows up live, as it does on a reload)."""

    def __init__(self, job: uuid.UUID, jobs: set[uuid.UUID]) -> None:
        self.job = str(job)
        self.jobs = {str(j) for j in jobs} | {self.job}

    @classmethod
    async def load(cls, job: uuid.UUID) -> JobTree:
        return cls(job, await job_tree(job))

    def holds(self, row: Row) -> bool:
        """The row belongs to the tree (its job, its parent or its root); its job joins the tree."""
        job, parent, root = (str(row.get(k) or "") for k in ("job_id", "parent_job_id", "root_job_id"))
        if root == self.job or job in self.jobs or parent in self.jobs:
            if job:
                self.jobs.add(job)
            return True
        return False


def _wanted(flt: LogFilter, holds: Callable[[Row], bool] | None, row: Row) -> bool:
    return matches(flt, row) and (holds is None or holds(row))


def _aware(stamp: dt.datetime) -> dt.datetime:
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


async def _on_file(flt: LogFilter, after: int, scope: Where | Or | None) -> list[Row]:
    if scope is None:
        return await rows_since(flt, after)
    return (await fetch_page(flt, newest_first=False, scope=scope, after_id=after)).rows


async def follow(
    flt: LogFilter,
    after: int | None,
    *,
    scope: Where | Or | None = None,
    holds: Callable[[Row], bool] | None = None,
) -> AsyncIterator[Row | None]:
    """Rows matching `flt` with id > `after`: first those on file, then each new one as it lands.

    Without `after` the stream starts from now. `scope` (a where clause) and `holds` (its Python
    twin) narrow it further, e.g. to one album's chain.
    Yields None when nothing came for HEARTBEAT_SECONDS; ends after STREAM_SECONDS or when the
    feed drops a follower that fell behind.
    """
    source = feed()
    queue = await source.subscribe()
    if after is None:
        after = source.floor
    sent: set[int] = set()
    tree = await JobTree.load(flt.job) if flt.job else None
    try:
        flt = replace(flt, cursor=None, limit=BATCH)
        # In memory the tree stands in for the job clause (which SQL answers for rows on file).
        loose = replace(flt, job=None) if tree else flt
        last = after
        while True:
            rows = await _on_file(flt, last, scope)
            for row in rows:
                sent.add(row["id"])
                last = max(last, row["id"])
                if tree:
                    tree.holds(row)
                yield row
            if len(rows) < BATCH:
                break
        deadline = time.monotonic() + STREAM_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                batch = await asyncio.wait_for(queue.get(), timeout=min(HEARTBEAT_SECONDS, left))
            except TimeoutError:
                yield None
                continue
            if batch is None:
                return
            for row in batch:
                in_tree = tree.holds(row) if tree else True
                if row["id"] > after and row["id"] not in sent and in_tree and _wanted(loose, holds, row):
                    sent.add(row["id"])
                    yield row
            if len(sent) > 5000:
                sent = set(sorted(sent)[-1000:])
    finally:
        source.unsubscribe(queue)
