"""Admin users: create, log in (throttled), sessions shared with piccolo-admin."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from piccolo.querystring import QueryString

from app.auth.session_sync import publish_logout
from app.auth.tables import AdminSession, AdminUser
from app.column_limits import column_problem
from app.config import get_settings
from app.db import ColumnUpdates, engine

if TYPE_CHECKING:
    from redis.asyncio import Redis

MAX_FAILURES = 5
FAILURE_WINDOW_S = 300.0
SESSION_DAYS = 7


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed logins: for the next {retry_after} s every login from this address "
            "(or to this account) is refused, even with the right password"
        )
        self.retry_after = retry_after


class LoginThrottle:
    """Failed logins per client address and per username in a sliding window.

    In memory for one process; with REDIS_URL in Redis (one sorted set of failure times per key), so
    every `llama serve --workers N` process and every server behind a balancer count the same
    failures: N processes never give an attacker N times the guesses.
    """

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

    @staticmethod
    def _redis_url() -> str:
        return get_settings().redis_url

    def _redis_key(self, key: str) -> str:
        return f"{get_settings().redis_namespace}:login-failures:{key}"

    async def check(self, *keys: str) -> None:
        """Raise LoginThrottled when any key has `limit` failures in the window."""
        if self._redis_url():
            await self._check_redis(keys)
        else:
            self._check_memory(keys)

    async def fail(self, *keys: str) -> None:
        if self._redis_url():
            now = time.time()
            async with _redis_client() as client, client.pipeline(transaction=True) as pipe:
                for key in keys:
                    name = self._redis_key(key)
                    pipe.zadd(name, {f"{now}:{uuid.uuid4().hex}": now})
                    pipe.expire(name, int(self.window) + 1)
                await pipe.execute()
        else:
            self._fail_memory(keys)

    async def clear(self, *keys: str) -> None:
        if self._redis_url():
            async with _redis_client() as client:
                await client.delete(*(self._redis_key(key) for key in keys))
        else:
            self._clear_memory(keys)

    async def reset(self) -> None:
        """Forget every failure (tests)."""
        with self._lock:
            self._failures.clear()
        if self._redis_url():
            async with _redis_client() as client:
                names = [name async for name in client.scan_iter(match=self._redis_key("*"))]
                if names:
                    await client.delete(*names)

    async def _check_redis(self, keys: tuple[str, ...]) -> None:
        now = time.time()
        async with _redis_client() as client:
            for key in keys:
                name = self._redis_key(key)
                async with client.pipeline(transaction=True) as pipe:
                    pipe.zremrangebyscore(name, "-inf", now - self.window)
                    pipe.zcard(name)
                    pipe.zrange(name, 0, 0, withscores=True)
                    _, count, oldest = await pipe.execute()
                if count >= self.limit:
                    first = float(oldest[0][1]) if oldest else now
                    raise LoginThrottled(int(self.window - (now - first)) + 1)

    def _check_memory(self, keys: tuple[str, ...]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.limit:
                    raise LoginThrottled(int(self.window - (now - times[0])) + 1)

    def _fail_memory(self, keys: tuple[str, ...]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def _clear_memory(self, keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


throttle = LoginThrottle()


def _redis_client() -> Redis:
    """A client for one operation (logins and logouts are rare; no client outlives its event loop)."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(get_settings().redis_url)


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
    problem = column_problem(AdminUser.username, username)
    if problem:
        raise ValueError(f"username: {problem}")
    keys = (f"ip:{client}", f"user:{username.lower()}")
    await throttle.check(*keys)
    user = await _verify_password(username, password)
    if user is None:
        await throttle.fail(*keys)
        raise ValueError("wrong username or password")
    if not user["active"] or not user["admin"]:
        await throttle.fail(*keys)
        raise ValueError("this account may not use the admin")
    await throttle.clear(f"user:{username.lower()}")
    expiry = dt.datetime.now() + dt.timedelta(days=SESSION_DAYS)
    session = await AdminSession.create_session(
        user_id=user["id"], expiry_date=expiry, max_expiry_date=expiry + dt.timedelta(days=7)
    )
    return str(session.token)


# One thread hashes at a time: a burst of logins waits its turn there instead of taking every core
# from the event loop (and an attacker's guesses cannot buy more CPU than one core).
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash")


async def _hash(password: str, *args: Any) -> str:
    return await asyncio.get_running_loop().run_in_executor(_HASHER, AdminUser.hash_password, password, *args)


async def _verify_password(username: str, password: str) -> dict[str, Any] | None:
    """The user row when the password matches, else None. What BaseUser.login does, with the
    ~150 ms PBKDF2 hash run in a thread so other requests keep being served meanwhile."""
    if len(password) > AdminUser._max_password_length:
        return None
    user = (
        await AdminUser.select(AdminUser.id, AdminUser.password, AdminUser.active, AdminUser.admin)
        .where(AdminUser.username == username)
        .first()
    )
    if user is None:
        await _hash(password)  # same time as a real check
        return None
    _algorithm, iterations, salt, _hashed = AdminUser.split_stored_password(user["password"])
    hashed = await _hash(password, salt, int(iterations))
    if not hmac.compare_digest(hashed, user["password"]):
        return None
    changes: ColumnUpdates = {AdminUser.last_login: dt.datetime.now()}
    if int(iterations) != AdminUser._pbkdf2_iteration_count:  # hashed by an older Piccolo: rehash
        changes[AdminUser.password] = await _hash(password)
    await AdminUser.update(changes).where(AdminUser.id == user["id"])
    return user


_SESSION_SQL = (
    "SELECT u.id, u.username, s.expiry_date, s.max_expiry_date FROM admin_session s "
    "JOIN admin_user u ON u.id = s.user_id "
    "WHERE s.token = {} AND u.active = {} AND u.admin = {}"
)


class SessionCache:
    """Sessions looked up in the last SESSION_CACHE_SECONDS, so a burst of requests from one admin
    (a page, its HTMX partials, the live log) costs one lookup, not one each. Logging out here
    forgets the token at once; a change made elsewhere (piccolo-admin deactivating a user or ending a
    session, another process logging out) is seen within that many seconds. Expiry is checked on
    every request; 0 looks the session up every time."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: dict[str, tuple[float, CurrentUser, dt.datetime]] = {}

    def get(self, token: str) -> CurrentUser | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        fetched, user, expires = entry
        fresh = time.monotonic() - fetched < get_settings().session_cache_seconds
        if not fresh or expires <= dt.datetime.now():
            self._entries.pop(token, None)
            return None
        return user

    def put(self, token: str, user: CurrentUser, expires: dt.datetime) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()  # many sessions at once is rare here; starting over is cheap
        self._entries[token] = (time.monotonic(), user, expires)

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)

    def forget_digest(self, token_digest: str) -> None:
        """Forget the session whose token hashes to `token_digest` (a logout in another process)."""
        for token in list(self._entries):
            if hashlib.sha256(token.encode()).hexdigest() == token_digest:
                self._entries.pop(token, None)

    def clear(self) -> None:
        self._entries.clear()


sessions = SessionCache()


async def user_for_session(token: str | None) -> CurrentUser | None:
    """The active admin behind a session token: one query, or none when it was read moments ago."""
    if not token or len(token) > 200:
        return None
    cached = sessions.get(token)
    if cached is not None:
        return cached
    # Straight to the engine: this runs before most pages, so it skips the Raw query's extra pass.
    rows = await engine().run_querystring(QueryString(_SESSION_SQL, token, True, True))
    if not rows:
        return None
    row = rows[0]
    expires = min(_naive(row["expiry_date"]), _naive(row["max_expiry_date"]))
    if expires <= dt.datetime.now():
        return None
    user = CurrentUser(id=row["id"], username=row["username"])
    sessions.put(token, user, expires)
    return user


def _naive(value: str | dt.datetime) -> dt.datetime:
    # piccolo_api stores naive local timestamps; SQLite may hand them back as text.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=None)


async def logout(token: str | None) -> None:
    if token:
        sessions.forget(token)
        await AdminSession.remove_session(token)
        await publish_logout(token)


async def user_exists(name_or_id: str) -> bool:
    """An admin with this username (or numeric id) exists (the /jobs `user` filter checks it)."""
    if name_or_id.isdigit() and int(name_or_id) < 2**31:  # ids are 32-bit; longer digits: a name
        return bool(await AdminUser.exists().where(AdminUser.id == int(name_or_id)))
    return bool(await AdminUser.exists().where(AdminUser.username == name_or_id))
