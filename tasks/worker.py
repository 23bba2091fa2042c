"""Dramatiq workers: in-process threads (embedded mode, the CLI, tests) and `llama worker`."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import dramatiq
from dramatiq import Worker

from app.config import get_settings
from tasks.broker import get_broker

if TYPE_CHECKING:
    from dramatiq.brokers.redis import RedisBroker

log = logging.getLogger("llamalog.worker")

ACTORS_MODULE = "tasks.actors"
STOP_TIMEOUT_MS = 30_000
# In-process threads wake this often when idle: a quick stop for `llama serve` and the CLI.
EMBEDDED_WORKER_TIMEOUT_MS = 100


def embedded_threads() -> int:
    """Worker threads inside `llama serve`: 2 to 4, by core count."""
    return max(2, min(4, os.cpu_count() or 2))


def start_embedded_worker() -> Worker:
    """The in-process worker of embedded mode (`llama serve`, manual CLI jobs)."""
    return start_worker(threads=embedded_threads(), worker_timeout=EMBEDDED_WORKER_TIMEOUT_MS)


def load_actors(extra_modules: Sequence[str] = ()) -> None:
    for name in (ACTORS_MODULE, *extra_modules):
        importlib.import_module(name)


def start_worker(
    broker: dramatiq.Broker | None = None, *, threads: int = 2, worker_timeout: int = 1000
) -> Worker:
    """Start consuming every declared queue in this process (one Worker per process)."""
    load_actors()
    worker = Worker(broker or get_broker(), worker_threads=threads, worker_timeout=worker_timeout)
    worker.start()
    return worker


def stop_worker(worker: Worker, timeout_ms: int = STOP_TIMEOUT_MS) -> None:
    """Stop gracefully and unhook the worker from the broker, so the next one starts clean."""
    worker.stop(timeout=timeout_ms)
    broker = worker.broker
    # Worker.start() adds a middleware that outlives the worker; with one broker per process a
    # stopped worker would otherwise get consumers for queues declared later.
    broker.middleware = [m for m in broker.middleware if getattr(m, "worker", None) is not worker]


def lower_cpu_priority(nice: int) -> int:
    """Run this process at niceness `nice` (it only ever goes up: a worker never outranks the server);
    returns the niceness it runs at."""
    current = os.nice(0)
    return os.nice(nice - current) if nice > current else current


def run_worker(
    *,
    threads: int,
    modules: Sequence[str] = (),
    heartbeat_timeout_ms: int | None = None,
    maintenance_chance: int | None = None,
) -> int:
    """`llama worker`: consume from Redis until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    broker = cast("RedisBroker", get_broker())
    if heartbeat_timeout_ms is not None:
        broker.heartbeat_timeout = heartbeat_timeout_ms
    if maintenance_chance is not None:
        broker.maintenance_chance = maintenance_chance
    load_actors(modules)
    nice = lower_cpu_priority(get_settings().worker_nice)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = start_worker(broker, threads=threads)
    queues = ", ".join(sorted(q for q in broker.get_declared_queues()))
    log.info("worker: %d threads on queues %s (namespace %s)", threads, queues, broker.namespace)
    print(f"🦙 worker: {threads} threads consuming {queues or '(no queues)'} (nice {nice})", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        print("🦙 worker: stopping (finishing the messages in hand)", flush=True)
        stop_worker(worker)
    return 0
