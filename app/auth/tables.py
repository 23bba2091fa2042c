"""Admin users and their sessions (shared with piccolo-admin)."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase


class AdminUser(BaseUser, tablename="admin_user"):
    pass


class AdminSession(SessionsBase, tablename="admin_session"):
    pass
