"""Logouts seen by every server process at once (`llama serve --workers N`, several hosts).

Each process keeps a short session cache (app.auth.users.SessionCache). A logout forgets the token in
its own process and, with REDIS_URL, publishes a digest of the token on a Redis channel; every
process follows the channel and forgets that session too, so a logged-out cookie is refused by the
other processes within milliseconds instead of within SESSION_CACHE_SECONDS. Without Redis there
is one process (serve refuses --workers > 1 in embedded mode), so nothing needs saying.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging

from app.config import get_settings

log = logging.getLogger("llamalog.sessions")


def digest(token: str) -> str:
    """What travels on the channel: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def channel() -> str:
    return f"{get_settings().redis_namespace}:session-forget"


async def publish_logout(token: str) -> None:
    if not get_settings().redis_url:
        return
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(get_settings().redis_url)
    try:
        await client.publish(channel(), digest(token))
    finally:
        await client.aclose()


async def follow_logouts(ready: asyncio.Event | None = None) -> None:
    """Forget, in this process's cache, every session logged out in any process (runs until cancelled)."""
    import redis.asyncio

    from app.auth.users import sessions

    while True:
        client = redis.asyncio.Redis.from_url(get_settings().redis_url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(channel())
                if ready is not None:
                    ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        data = message["data"]
                        sessions.forget_digest(data.decode() if isinstance(data, bytes) else str(data))
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis restarted: the cache is short-lived anyway; start following again
            log.exception("sessions: following logouts failed; retrying in 1 s")
            sessions.clear()
            await asyncio.sleep(1.0)
        finally:
            await client.aclose()


# One follower per event loop: each app instance (a server process, or each app a test starts in its
# own loop) follows the channel in its own loop and stops only its own follower.
_tasks: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}


async def start() -> None:
    loop = asyncio.get_running_loop()
    if get_settings().redis_url and loop not in _tasks:
        ready = asyncio.Event()
        _tasks[loop] = asyncio.create_task(follow_logouts(ready), name="llamalog-session-sync")
        try:
            await asyncio.wait_for(ready.wait(), timeout=5.0)
        except TimeoutError:
            log.warning("sessions: not following logouts yet (Redis slow to answer)")


async def stop() -> None:
    task = _tasks.pop(asyncio.get_running_loop(), None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
