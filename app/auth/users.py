"""Admin users: create, log in (throttled), sessions shared with piccolo-admin."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from app.auth.tables import AdminSession, AdminUser

MAX_FAILURES = 5
FAILURE_WINDOW_S = 300.0
SESSION_DAYS = 7


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    """Failed logins per client address and per username in a sliding window (in memory)."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW_S) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.limit:
                    raise LoginThrottled(int(self.window - (now - times[0])) + 1)

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def clear(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


throttle = LoginThrottle()


async def create_admin(username: str, password: str) -> int:
    """An active admin user (site and piccolo-admin); raises ValueError on a bad name/password."""
    if not username or len(username) > 100:
        raise ValueError("username: 1 to 100 characters")
    if len(password) < 8:
        raise ValueError("password: at least 8 characters")
    existing = await AdminUser.select(AdminUser.id).where(AdminUser.username == username).first()
    if existing:
        raise ValueError(f"user {username!r} already exists")
    user = await AdminUser.create_user(
        username=username,
        password=password,
        active=True,
        admin=True,
        superuser=True,
        email=f"{username}@localhost",
    )
    return int(user.id)


async def login(username: str, password: str, client: str) -> str:
    """A new session token, or ValueError for wrong credentials; LoginThrottled when throttled."""
    keys = (f"ip:{client}", f"user:{username.lower()}")
    throttle.check(*keys)
    user_id = await AdminUser.login(username=username, password=password)
    if user_id is None:
        throttle.fail(*keys)
        raise ValueError("wrong username or password")
    user = await AdminUser.select(AdminUser.active, AdminUser.admin).where(AdminUser.id == user_id).first()
    if not user or not user["active"] or not user["admin"]:
        throttle.fail(*keys)
        raise ValueError("this account may not use the admin")
    throttle.clear(f"user:{username.lower()}")
    expiry = dt.datetime.now() + dt.timedelta(days=SESSION_DAYS)
    session = await AdminSession.create_session(
        user_id=user_id, expiry_date=expiry, max_expiry_date=expiry + dt.timedelta(days=7)
    )
    return str(session.token)


async def user_for_session(token: str | None) -> CurrentUser | None:
    """The active admin behind a session token, in one query (it runs on every request)."""
    if not token or len(token) > 200:
        return None
    rows = await AdminSession.raw(
        "SELECT u.id, u.username, s.expiry_date, s.max_expiry_date FROM admin_session s "
        "JOIN admin_user u ON u.id = s.user_id "
        "WHERE s.token = {} AND u.active = {} AND u.admin = {}",
        token,
        True,
        True,
    )
    if not rows:
        return None
    row: dict[str, Any] = rows[0]
    now = dt.datetime.now()
    if _naive(row["expiry_date"]) <= now or _naive(row["max_expiry_date"]) <= now:
        return None
    return CurrentUser(id=row["id"], username=row["username"])


def _naive(value: Any) -> dt.datetime:
    # piccolo_api stores naive local timestamps; SQLite may hand them back as text.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=None)


async def logout(token: str | None) -> None:
    if token:
        await AdminSession.remove_session(token)
