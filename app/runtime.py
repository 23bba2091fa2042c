"""Work that lives as long as `llama serve`: lifespan hooks registered by create_app()."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

STARTUP_HOOKS: list[Callable[[], Awaitable[None]]] = []
SHUTDOWN_HOOKS: list[Callable[[], Awaitable[None]]] = []
