"""Pages of the jobs area (registered by app.main)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
