"""The worker's pulse: Job rows of running messages get `heartbeat_at`, dead workers' messages return.

Dramatiq's Redis broker requeues a dead worker's unacked messages only during "maintenance", which
runs on a random 1-in-1000 of the broker's Redis calls and only for the queue of that call: an idle
worker polls about once a second, so a killed worker's message waited ~15 minutes. Here every
worker forces that maintenance for each of its queues every few seconds, so a message comes back
within heartbeat_timeout + one beat.
"""

from __future__ import annotations

import logging
import threading

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis, dq_name
from dramatiq.middleware import Middleware

from app.jobs.runs import job_heartbeat
from tasks.jobs_middleware import JobRecordMiddleware

log = logging.getLogger("llamalog.worker")

MAX_BEAT_S = 10.0


def beat_seconds(heartbeat_timeout_ms: int) -> float:
    """A quarter of the timeout: three beats may be missed before a worker counts as dead."""
    return min(MAX_BEAT_S, heartbeat_timeout_ms / 4000)


def requeue_dead_workers_messages(broker: RedisBroker, queue_name: str) -> None:
    """Run the broker's maintenance for `queue_name` now (its dispatch script, maintenance forced)."""
    args = [
        "qsize",  # a read: the script's command part changes nothing
        current_millis(),
        queue_name,
        broker.broker_id,
        broker.heartbeat_timeout,
        broker.dead_message_ttl,
        1,  # do_maintenance
        broker._max_unpack_size(),
    ]
    broker.scripts["dispatch"](args=args, keys=[broker.namespace])


class WorkerHeartbeat(Middleware):
    """A thread per worker process: beats for its running jobs, requeues dead workers' messages."""

    def __init__(self, records: JobRecordMiddleware) -> None:
        self.records = records
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        timeout_ms = int(getattr(broker, "heartbeat_timeout", 60_000))
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(broker, beat_seconds(timeout_ms)), name="llamalog-heartbeat", daemon=True
        )
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self, broker: dramatiq.Broker, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.beat(broker)
            except Exception:  # the next beat tries again; a dead Redis or database is logged
                log.warning("heartbeat failed", exc_info=True)

    def beat(self, broker: dramatiq.Broker) -> None:
        running = self.records.running_job_ids()
        if running:
            self.records._run(job_heartbeat(running))
        if isinstance(broker, RedisBroker):
            for queue in sorted(broker.get_declared_queues()):
                requeue_dead_workers_messages(broker, queue)
                requeue_dead_workers_messages(broker, dq_name(queue))
