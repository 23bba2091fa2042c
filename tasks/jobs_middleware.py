"""Dramatiq middleware that keeps each message's Job row and the worker's database pool.

Dramatiq calls `after_*` hooks in reverse order, so this middleware sees a message before Retries
has decided about it; the decision shows up at ack (processed, or re-enqueued for a retry) and
nack (failed for good). Only the ack of a message this worker ran counts: when a retry's delay is
over, the worker moves it from the delay queue to its queue and acks the delayed copy, which says
nothing about the run (it is still waiting for a worker thread).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections import Counter
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.broker import MessageProxy
from dramatiq.common import q_name
from dramatiq.middleware import Middleware, SkipMessage
from piccolo.engine.postgres import PostgresEngine

from app.config import get_settings
from app.db import engine
from app.jobs import progress
from app.jobs.failures import FailureCallback, JobFailure, error_code_of, error_text_of, run_failure_hook
from app.jobs.recount import squared_counts
from app.jobs.runs import JobSpec, job_finished, job_queued, job_retrying, job_started, survive, take_recorded
from app.llamalog.context import JobContext

T = TypeVar("T")

log = logging.getLogger("llamalog.jobs")

_SKIPPED = object()
_DUPLICATE = object()  # the run is already over: a late copy of its message, not run


def job_spec(message: dramatiq.Message[object] | MessageProxy) -> JobSpec:
    options = message.options
    return JobSpec(
        job_id=message.message_id,
        actor=message.actor_name,
        args=list(message.args),
        kwargs=dict(message.kwargs),
        parent_job_id=options.get("parent_job_id"),
        root_job_id=options.get("root_job_id") or message.message_id,
        triggered_by=options.get("triggered_by") or "system",
        user_id=options.get("user_id"),
        username=options.get("username"),
        retry_of=options.get("retry_of"),
    )


def _keep(message: MessageProxy, name: str, value: object) -> None:
    """Note this delivery's job state on the message proxy itself (read back with getattr)."""
    setattr(message, name, value)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {error_text_of(exc)}"


class JobRecordMiddleware(Middleware):
    """queued on enqueue, running on start, then succeeded / retrying / failed / cancelled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Message ids this process is running now, for the heartbeat. A count, not a set: with a short
        # backoff the next attempt of a message can start before this one is acked.
        self._running: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[object]] = set()

    @property
    def actor_options(self) -> set[str]:
        return {"on_final_failure"}

    # -- running the writes -------------------------------------------------------------------

    def _submit(self, coro: Coroutine[object, object, object]) -> None:
        """Start a write from a hook that must not wait: the caller may hold a write transaction.

        The write runs as a task in a fresh context (so it never joins the caller's transaction) on
        this thread's loop, else on the worker's loop, else on a small loop thread of its own.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop_thread = get_event_loop_thread()
            if loop_thread is not None and loop_thread.loop.is_running():
                loop = loop_thread.loop
            else:
                loop = _background_loop()
            loop.call_soon_threadsafe(self._spawn, loop, coro)
            return
        self._spawn(loop, coro)

    def _spawn(self, loop: asyncio.AbstractEventLoop, coro: Coroutine[object, object, object]) -> None:
        task = loop.create_task(_logged(coro), context=contextvars.Context())
        with self._lock:
            self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[object]) -> None:
        with self._lock:
            self._tasks.discard(task)

    @staticmethod
    def _run(coro: Coroutine[object, object, T]) -> T:
        """Run to completion from a worker thread: on the worker's loop (its pool), in a fresh context."""
        loop_thread = get_event_loop_thread()
        if loop_thread is not None and loop_thread.loop.is_running():
            return contextvars.Context().run(loop_thread.run_coroutine, coro)
        return contextvars.Context().run(asyncio.run, coro)

    def pending_tasks(self, loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[object]]:
        with self._lock:
            return [t for t in self._tasks if t.get_loop() is loop and not t.done()]

    # -- hooks --------------------------------------------------------------------------------

    def before_enqueue(
        self, broker: dramatiq.Broker, message: dramatiq.Message[object], delay: int | None
    ) -> None:
        if message.options.get("retries"):
            return  # Retries re-sending a failed message: after_ack records "retrying"
        if take_recorded(message.message_id):
            return  # launch.enqueue wrote the row before sending
        self._submit(job_queued(job_spec(message)))

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        attempt = int(message.options.get("retries") or 0)
        # Kept on this delivery, not by message id: the next attempt of the same message can start
        # before this one is acked (tests/jobs/test_retry_race.py).
        _keep(message, "_job_attempt", attempt)
        with self._lock:
            self._running[message.message_id] += 1
        again = self._run(job_started(job_spec(message), attempt))
        if again is None:
            _keep(message, "_job_outcome", _DUPLICATE)
            log.warning("job %s is already over: its late message is not run", message.message_id)
            raise SkipMessage(message.message_id)
        _keep(message, "_job_again", bool(again))
        progress.begin(message.message_id)

    def running_job_ids(self) -> list[str]:
        """Jobs this process is running now (for the heartbeat)."""
        with self._lock:
            return list(self._running)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        _keep(message, "_job_outcome", exception)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if getattr(message, "_job_outcome", None) is not _DUPLICATE:
            _keep(message, "_job_outcome", _SKIPPED)

    def _take(self, message: MessageProxy) -> tuple[object, int, bool] | None:
        """What became of this delivery, if this worker ran it; None for any other ack (a delayed copy)."""
        if q_name(message.queue_name) != message.queue_name:
            return None  # the delay queue's copy, handed over to the queue
        attempt = getattr(message, "_job_attempt", None)
        if attempt is None:
            return None
        with self._lock:
            self._running[message.message_id] -= 1
            if self._running[message.message_id] <= 0:
                del self._running[message.message_id]
        return getattr(message, "_job_outcome", None), attempt, getattr(message, "_job_again", False)

    def _finished(self, job_id: str, status: str, again: bool, **fields: Any) -> None:
        if again:  # the attempt's own counts first, then the run's counts go out with its status
            self._run(survive(lambda: progress.flush(job_id), "counts"))
            fields["counts"] = self._run(survive(lambda: squared_counts(job_id), "recount"))
        self._run(job_finished(job_id, status, **fields))

    def after_ack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        taken = self._take(message)
        if taken is None:
            return
        outcome, attempt, again = taken
        if outcome is _DUPLICATE:
            return
        if outcome is _SKIPPED:
            self._run(job_finished(message.message_id, "cancelled", error="skipped by the worker"))
        elif outcome is None:
            self._finished(message.message_id, "succeeded", again)
        elif isinstance(outcome, BaseException):  # acked after an exception: Retries sent it again
            self._run(
                job_retrying(message.message_id, attempt + 1, _describe(outcome), error_code_of(outcome))
            )

    def after_nack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        taken = self._take(message)
        if taken is None:
            return
        outcome, attempt, again = taken
        if outcome is _DUPLICATE:
            return
        if outcome is _SKIPPED:
            self._run(job_finished(message.message_id, "cancelled", error="skipped by the worker"))
            return
        exc = outcome if isinstance(outcome, BaseException) else getattr(message, "_exception", None)
        exc = exc or RuntimeError("the message was rejected")
        self._finished(
            message.message_id,
            "failed",
            again,
            error=_describe(exc),
            error_code=error_code_of(exc),
            retries=attempt,
        )
        callback = _failure_callback(broker, message)
        if callback is not None:
            ctx = JobContext.from_options(message.message_id, message.options)
            failure = JobFailure(
                job_id=message.message_id,
                actor=message.actor_name,
                error_code=error_code_of(exc),
                error_message=error_text_of(exc),
                retry_count=attempt,
                context=ctx,
                args=tuple(message.args),
                kwargs=dict(message.kwargs),
            )
            self._run(run_failure_hook(callback, failure))


def _failure_callback(broker: dramatiq.Broker, message: MessageProxy) -> FailureCallback | None:
    try:
        actor = broker.get_actor(message.actor_name)
    except dramatiq.errors.ActorNotFound:
        return None
    return actor.options.get("on_final_failure")


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    """A loop thread for enqueue-time writes in processes without a worker (web, scheduler, CLI)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="llamalog-job-rows", daemon=True).start()
        return _loop


async def _logged(awaitable: Awaitable[object]) -> None:
    try:
        await awaitable
    except Exception:
        log.exception("could not write a Job row")


class WorkerDatabase(Middleware):
    """Gives the worker's event-loop thread its own Postgres pool; drains pending Job writes on stop."""

    def __init__(self, records: JobRecordMiddleware) -> None:
        self.records = records

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        db = engine()
        if get_settings().is_postgres and loop_thread is not None and isinstance(db, PostgresEngine):
            loop_thread.run_coroutine(
                db.start_connection_pool(min_size=1, max_size=worker.worker_threads + 2)
            )

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Runs before AsyncIO stops the loop (after_* hooks go in reverse order).
        loop_thread = get_event_loop_thread()
        if loop_thread is None or not loop_thread.loop.is_running():
            return
        loop_thread.run_coroutine(self._drain(loop_thread.loop))

    async def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        tasks = self.records.pending_tasks(loop)
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        db = engine()
        if get_settings().is_postgres and isinstance(db, PostgresEngine) and db.pool is not None:
            await db.close_connection_pool()
