"""Logging in hashes the password (PBKDF2, 600k rounds, ~150 ms of CPU) in a thread: the event loop
keeps serving other requests meanwhile instead of stalling for every login."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from app.auth.tables import AdminUser
from app.auth.users import login
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER


@pytest.mark.parametrize("password", [ADMIN_PASSWORD, "a-wrong-password"])
async def test_the_loop_runs_while_the_password_is_hashed(
    admin_user: int, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    hashing, hashed = threading.Event(), threading.Event()
    original = AdminUser.hash_password

    def watched(*args: Any, **kwargs: Any) -> str:
        hashing.set()
        try:
            return original(*args, **kwargs)
        finally:
            hashed.set()

    monkeypatch.setattr(AdminUser, "hash_password", watched)
    seen_mid_hash = False

    async def other_request() -> None:
        # Had the hash run on the loop, this could never wake between its start and its end.
        nonlocal seen_mid_hash
        while not hashed.is_set():
            seen_mid_hash = seen_mid_hash or hashing.is_set()
            await asyncio.sleep(0.001)

    results = await asyncio.gather(
        login(ADMIN_USER, password, "127.0.0.1"), other_request(), return_exceptions=True
    )
    assert seen_mid_hash
    if password == ADMIN_PASSWORD:
        assert isinstance(results[0], str) and len(results[0]) > 20  # a session token
    else:
        assert isinstance(results[0], ValueError)


async def test_an_unknown_user_costs_a_hash_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """No quick answer for a name that does not exist (user enumeration by timing)."""
    calls: list[str] = []
    original = AdminUser.hash_password
    monkeypatch.setattr(
        AdminUser,
        "hash_password",
        lambda *a, **k: calls.append(threading.current_thread().name) or original(*a, **k),
    )
    with pytest.raises(ValueError, match="wrong username or password"):
        await login("nobody", "whatever-123", "127.0.0.1")
    assert len(calls) == 1 and calls[0] != threading.main_thread().name
