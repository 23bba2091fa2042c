"""A job that gave up: what failed, and its FAILED LlamaLog row.

An actor names a callback with the actor option `on_final_failure`; after the last retry the
worker calls it with a JobFailure, under the job's own context and after the job's rollback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.db import transaction
from app.llamalog.context import JobContext
from app.llamalog.logger import LoggedRow, record

MAX_MESSAGE_CHARS = 2000


def error_code_of(exc: BaseException) -> str:
    """Typed errors carry `error_code` (e.g. RATE_LIMITED); anything else is named by its class."""
    code = getattr(exc, "error_code", None)
    return str(code)[:50] if code else type(exc).__name__[:50]


def error_text_of(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:MAX_MESSAGE_CHARS]


@dataclass(frozen=True)
class JobFailure:
    job_id: str
    actor: str
    error_code: str
    error_message: str
    retry_count: int
    context: JobContext
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


async def record_job_failure(
    failure: JobFailure,
    *,
    entity_type: str,
    entity_id: Any,
    operation: str,
    sources: list[str] | None = None,
    **fields: Any,
) -> LoggedRow:
    """Write the job's FAILED row (error_code, error_message, retry_count) in a transaction.

    Call it inside your own `transaction()` to change state together with it (e.g. enrichment_status).
    """
    async with transaction():
        return await record(
            entity_type=entity_type,
            entity_id=entity_id,
            operation=operation,
            category="FAILED",
            status="FAILED",
            context=failure.context,
            sources=sources,
            error_code=failure.error_code,
            error_message=failure.error_message,
            retry_count=failure.retry_count,
            **fields,
        )
