"""The Redis broker's side of the stall detector: where a job's message is, and sending it again."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from typing import Any, cast

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name

from app.jobs.failures import FailureCallback
from app.jobs.rows import JobRow
from app.jobs.stalls import BrokerView

SCAN_BATCH = 500


class RedisBrokerView(BrokerView):
    """Reads the broker's message hashes: `<ns>:<queue>.msgs` and the delay queue's `.DQ.msgs`."""

    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker

    def _messages(self, key: str) -> dict[str, tuple[bytes, dict[str, Any]]]:
        """message_id → (the hash field, the decoded message) for every copy in one hash."""
        found: dict[str, tuple[bytes, dict[str, Any]]] = {}
        for field, data in self.broker.client.hscan_iter(key, count=SCAN_BATCH):
            try:
                message = json.loads(data)
            except ValueError:
                continue
            found[message.get("message_id", "")] = (field, message)
        return found

    def _queue_of(self, actor_name: str) -> str | None:
        try:
            return str(self.broker.get_actor(actor_name).queue_name)
        except dramatiq.errors.ActorNotFound:
            return None

    def lost(self, rows: list[JobRow], *, stranded_before: dt.datetime) -> set[str]:
        by_queue: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            queue = self._queue_of(row["actor"] or row["kind"])
            if queue is not None:
                by_queue[queue].append(str(row["job_id"]))
        stranded_ms = stranded_before.timestamp() * 1000
        lost: set[str] = set()
        ns = self.broker.namespace
        for queue, job_ids in by_queue.items():
            live = self._messages(f"{ns}:{queue}.msgs")  # queued, prefetched or running
            delay_key = f"{ns}:{dq_name(queue)}.msgs"
            delayed = self._messages(delay_key)
            for job_id in job_ids:
                if job_id in live:
                    continue
                copy = delayed.get(job_id)
                if copy is not None and copy[1].get("options", {}).get("eta", 0) >= stranded_ms:
                    continue  # a retry still waiting for its time
                if copy is not None:
                    # Its time passed long ago and no worker moved it: the worker holding it lost it
                    # (a Redis restart empties a worker's in-memory delay queue). Drop the copy, so it
                    # cannot come back beside the new one.
                    self.broker.client.hdel(delay_key, copy[0])
                lost.add(job_id)
        return lost

    def resend(self, row: JobRow) -> None:
        actor = self.broker.get_actor(row["actor"] or row["kind"])
        options = {
            "job_id": str(row["job_id"]),
            "root_job_id": str(row["root_job_id"] or row["job_id"]),
            "parent_job_id": str(row["parent_job_id"]) if row["parent_job_id"] else None,
            "triggered_by": row["triggered_by"],
            "user_id": row["user_id"],
            "username": row["username"],
            "retry_of": str(row["retry_of"]) if row["retry_of"] else None,
            # Keeps the retry budget, and tells the job-record middleware the row exists.
            "retries": row["retries"] or 0,
        }
        message: dramatiq.Message[object] = dramatiq.Message(
            queue_name=actor.queue_name,
            actor_name=actor.actor_name,
            args=tuple(row["args"] or ()),
            kwargs=dict(row["kwargs"] or {}),
            options={k: v for k, v in options.items() if v is not None},
            message_id=str(uuid.UUID(str(row["job_id"]))),
        )
        self.broker.enqueue(message)

    def failure_callback(self, actor_name: str) -> FailureCallback | None:
        try:
            actor = self.broker.get_actor(actor_name)
        except dramatiq.errors.ActorNotFound:
            return None
        return cast(FailureCallback | None, actor.options.get("on_final_failure"))


def broker_view(broker: dramatiq.Broker) -> BrokerView | None:
    """The view for the Redis broker; None for the in-process broker (its messages cannot get lost)."""
    return RedisBrokerView(broker) if isinstance(broker, RedisBroker) else None
