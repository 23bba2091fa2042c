"""Admin users and their sessions (shared with piccolo-admin)."""

from __future__ import annotations

from enum import StrEnum

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table
from piccolo_api.session_auth.tables import SessionsBase


class AdminUser(BaseUser, tablename="admin_user"):
    pass


class AdminSession(SessionsBase, tablename="admin_session"):
    pass


class TokenScope(StrEnum):
    """What a script holding an API token may do: read only, or also change things."""

    read = "read"
    write = "write"


class ApiToken(Table, tablename="api_token"):
    """A named bearer token for scripts; only its SHA-256 is kept (the token is shown once)."""

    id = Serial(primary_key=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    scope = Varchar(length=10, default=TokenScope.read, choices=TokenScope)
    user_id = Integer(null=True, default=None)  # the admin who created it: the token acts as them
    username = Varchar(length=100, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = Varchar(length=100, null=True, default=None)
