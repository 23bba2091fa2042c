"""API tokens for scripts: created by an admin (shown once, kept as a SHA-256), revocable, read-only or
read-write; each creation and revocation is a job on the record with the admin who did it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.querystring import QueryString

from app.auth.tables import ApiToken, TokenScope
from app.catalog.validation import ValidationError
from app.db import engine, transaction
from app.jobs.tables import Job, JobStatus
from app.json_types import JSONValue

PREFIX = "llama_"  # so a token pasted into the wrong place is recognisable (and greppable in leaks)
MAX_NAME = 100
# last_used_at is written at most this often per token: a script polling /api is not a write each call.
TOUCH_EVERY = dt.timedelta(seconds=60)

_TOKEN_SQL = (
    "SELECT t.id, t.scope, t.last_used_at, u.id AS user_id, u.username FROM api_token t "
    "JOIN admin_user u ON u.id = t.user_id "
    "WHERE t.token_hash = {} AND t.revoked_at IS NULL AND u.active = {} AND u.admin = {}"
)


@dataclass(frozen=True)
class TokenUser:
    """Who a bearer token acts as, and what it may do."""

    token_id: int
    user_id: int
    username: str
    scope: TokenScope

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.write


@dataclass(frozen=True)
class NewToken:
    id: int
    name: str
    scope: TokenScope
    token: str  # the only time the token itself exists outside the script that holds it


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="surrogateescape")).hexdigest()


def parse_token_form(name: str | None, scope: str | None) -> tuple[str, TokenScope]:
    """The form's name and scope, or ValidationError naming the field."""
    errors: dict[str, str] = {}
    clean = (name or "").strip()
    if not clean:
        errors["name"] = "give the token a name (what script uses it)"
    elif len(clean) > MAX_NAME or "\x00" in clean:
        errors["name"] = f"at most {MAX_NAME} characters, no NUL"
    try:
        chosen = TokenScope((scope or "").strip().lower())
    except ValueError:
        errors["scope"] = "read or write"
        chosen = TokenScope.read
    if errors:
        raise ValidationError(errors)
    return clean, chosen


async def _on_record(
    kind: str, user_id: int, username: str, args: list[JSONValue], kwargs: dict[str, JSONValue]
) -> None:
    now = dt.datetime.now(dt.UTC)
    job_id = uuid.uuid4()
    await Job.insert(
        Job(
            job_id=job_id,
            kind=kind,
            args=args,
            kwargs=kwargs,
            status=JobStatus.succeeded,
            root_job_id=job_id,
            triggered_by="user",
            user_id=user_id,
            username=username,
            created_at=now,
            started_at=now,
            finished_at=now,
        )
    )


async def create_token(name: str, scope: TokenScope, *, user_id: int, username: str) -> NewToken:
    """A new token acting as the admin who creates it; the plain token is returned once, never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    async with transaction():
        row = ApiToken(
            name=name, token_hash=token_hash(token), scope=scope, user_id=user_id, username=username
        )
        await row.save()
        await _on_record(
            "token-create", user_id, username, [name], {"token_id": row.id, "scope": scope.value}
        )
    return NewToken(id=row.id, name=name, scope=scope, token=token)


async def revoke_token(token_id: int, *, user_id: int, username: str) -> bool:
    """Revoke a token (False when there is none, or it was revoked already)."""
    async with transaction():
        row = await ApiToken.objects().where(ApiToken.id == token_id).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = dt.datetime.now(dt.UTC)
        row.revoked_by = username
        await row.save([ApiToken.revoked_at, ApiToken.revoked_by])
        await _on_record("token-revoke", user_id, username, [row.name], {"token_id": token_id})
    return True


async def list_tokens() -> list[dict[str, Any]]:
    """Every token, newest first (never its hash)."""
    columns = [c for c in ApiToken._meta.columns if c._meta.name != "token_hash"]
    return await ApiToken.select(*columns).order_by(ApiToken.id, ascending=False)


async def token_user(token: str) -> TokenUser | None:
    """The active admin a live token acts as, its last use noted; None for a bad or revoked token."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    rows = await engine().run_querystring(QueryString(_TOKEN_SQL, token_hash(token), True, True))
    if not rows:
        return None
    row = rows[0]
    now = dt.datetime.now(dt.UTC)
    last = row["last_used_at"]
    if isinstance(last, str):  # SQLite may hand timestamps back as text
        last = dt.datetime.fromisoformat(last)
    if last is None or now - (last if last.tzinfo else last.replace(tzinfo=dt.UTC)) >= TOUCH_EVERY:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return TokenUser(
        token_id=row["id"], user_id=row["user_id"], username=row["username"], scope=TokenScope(row["scope"])
    )
