"""An ASGI wrapper that counts the database statements each request sends (bench only).

The real app (or the floor) is wrapped as is; every statement still goes through the engine's
`run_querystring`, which this wraps to count per request (a ContextVar box, so concurrent requests do
not mix), and the count goes out on the `x-bench-queries` response header:

    uvicorn bench.served:app_with_counter --factory     # app.main.create_app()
    uvicorn bench.served:floor_with_counter --factory   # bench.floor.create_app()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from app.db import engine

HEADER = b"x-bench-queries"
_count: ContextVar[list[int] | None] = ContextVar("bench_queries", default=None)


def _count_statements() -> None:
    db: Any = engine()
    if getattr(db, "_bench_counting", False):
        return
    original = db.run_querystring

    async def counting(querystring: Any, *args: Any, **kwargs: Any) -> Any:
        box = _count.get()
        if box is not None:
            box[0] += 1
        return await original(querystring, *args, **kwargs)

    db.run_querystring = counting
    db._bench_counting = True


@contextmanager
def counting() -> Iterator[list[int]]:
    """Count the statements sent inside the block (in this task and the tasks it starts)."""
    _count_statements()
    box = [0]
    token = _count.set(box)
    try:
        yield box
    finally:
        _count.reset(token)


def with_counter(app: Any) -> Any:
    _count_statements()

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        box = [0]
        token = _count.set(box)

        async def send_with_count(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (HEADER, str(box[0]).encode())],
                }
            await send(message)

        try:
            await app(scope, receive, send_with_count)
        finally:
            _count.reset(token)

    return counted


def app_with_counter() -> Any:
    from app.main import create_app

    return with_counter(create_app())


def floor_with_counter() -> Any:
    from bench.floor import create_app

    return with_counter(create_app())
