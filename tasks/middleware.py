"""Dramatiq middleware that carries the job context in message options."""

from __future__ import annotations

from contextvars import Token

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware

from app.llamalog.context import JobContext, current_job

CONTEXT_OPTIONS = {"parent_job_id", "root_job_id", "triggered_by", "user_id", "username", "job_id"}


class JobContextMiddleware(Middleware):
    """Stamps messages sent inside a running job as its children; exposes the running job."""

    @property
    def actor_options(self) -> set[str]:
        return CONTEXT_OPTIONS

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int) -> None:
        options = message.options
        options["job_id"] = message.message_id
        running = current_job.get()
        if running is not None and "root_job_id" not in options:
            options["parent_job_id"] = running.job_id
            options["root_job_id"] = running.root_job_id
            options.setdefault("triggered_by", running.triggered_by)
            if running.user_id is not None:
                options.setdefault("user_id", running.user_id)
            if running.username:
                options.setdefault("username", running.username)
        options.setdefault("root_job_id", message.message_id)
        options.setdefault("triggered_by", "system")

    def __init__(self) -> None:
        # Tokens stay out of message.options: a retried message is serialised again.
        self._tokens: dict[str, Token[JobContext | None]] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        ctx = JobContext.from_options(message.message_id, message.options)
        self._tokens[message.message_id] = current_job.set(ctx)

    def _reset(self, message: MessageProxy) -> None:
        token = self._tokens.pop(message.message_id, None)
        if token is not None:
            try:
                current_job.reset(token)
            except ValueError:  # the token was made in another context
                current_job.set(None)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        self._reset(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self._reset(message)
