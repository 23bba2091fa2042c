"""The Dramatiq broker, built once: Redis when REDIS_URL is set, else in-process (embedded)."""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

from app.config import get_settings
from tasks.heartbeat import WorkerHeartbeat
from tasks.jobs_middleware import JobRecordMiddleware, WorkerDatabase
from tasks.middleware import JobContextMiddleware

_lock = threading.Lock()
_broker: dramatiq.Broker | None = None


def get_broker() -> dramatiq.Broker:
    """The process-wide broker; actors declared after this call bind to it."""
    global _broker
    with _lock:
        if _broker is None:
            _broker = _build()
            dramatiq.set_broker(_broker)
        return _broker


def _build() -> dramatiq.Broker:
    settings = get_settings()
    broker: dramatiq.Broker
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(
            url=settings.redis_url,
            namespace=settings.redis_namespace,
            heartbeat_timeout=int(settings.worker_heartbeat_timeout * 1000),
        )
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    broker.add_middleware(AsyncIO())
    broker.add_middleware(JobContextMiddleware())
    records = JobRecordMiddleware()
    broker.add_middleware(records)
    broker.add_middleware(WorkerDatabase(records))
    broker.add_middleware(WorkerHeartbeat(records))
    return broker
