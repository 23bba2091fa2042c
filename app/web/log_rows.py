"""What one row of the log table shows, worked out in Python in one pass over a page.

`templates/log/_rows.html` draws these for /logs, a job's page and the live stream alike. Text that
can come from outside (labels, operations, field and user names) stays plain for the template to
escape. The values the template prints inside `{% autoescape false %}` (ids, times, links made of
them and the page's filter) are made HTML-safe here, once: a page prints about a thousand values, and
escaping each one in the template was a fifth of the page's cost.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from markupsafe import escape

from app.llamalog.rows import LogRow

_ENTITY_PATHS = {"ALBUM": "/albums/", "ARTIST": "/artists/", "TRACK": "/tracks/"}


class LogRowView:
    """One row's cells as display strings; `row` is the query row (the detail reads it)."""

    __slots__ = (
        "id", "row", "expanded", "href", "hx_get", "iso", "when", "category", "etype", "entity_href",
        "entity_text", "operation", "status", "sources", "fields", "duration", "job", "root", "who",
        "who_muted", "imported",
    )  # fmt: skip
    entity_href: str | None
    duration: str | None
    job: str | None
    root: str | None
    imported: str | None

    def __init__(self, row: LogRow, expanded: bool, row_qs: str) -> None:
        """`row_qs` must already be HTML-escaped (log_row_views does it once per page)."""
        row_id = int(row["id"])
        self.id = row_id
        self.row = row
        self.expanded = expanded
        # Without JavaScript the link reloads the page (its filter kept) with the row open or closed.
        if expanded:
            self.href = f"/logs?{row_qs}#log-{row_id}"
            self.hx_get = f"/logs?collapse={row_id}"
        else:
            self.href = f"/logs?{row_qs}{'&' if row_qs else ''}expand={row_id}#log-{row_id}"
            self.hx_get = f"/logs?expand={row_id}"
        created_at = row["created_at"]
        if isinstance(created_at, dt.datetime):
            if created_at.tzinfo is not dt.UTC:  # both drivers hand back UTC; anything else is converted
                created_at = created_at.astimezone(dt.UTC)
            self.iso = created_at.isoformat()
            self.when = f"{self.iso[:10]} {self.iso[11:19]}"
        else:
            self.iso = self.when = "" if created_at is None else safe_text(created_at)
        self.category = row["category"]
        entity_type = row["entity_type"]
        self.etype = entity_type.lower()
        entity_id = row["entity_id"]
        label = row.get("entity_label")
        if entity_id:
            self.entity_href = f"{_ENTITY_PATHS.get(entity_type, '/logs?q=')}{safe_text(entity_id)}"
            self.entity_text = label or str(entity_id)[:8]
        else:
            self.entity_href = None
            self.entity_text = label or "—"
        self.operation = row["operation"]
        self.status = row["status"]
        self.sources = row.get("sources") or ()
        changes = row.get("changes")
        fields = row.get("fields_enriched") or (list(changes) if isinstance(changes, Mapping) else ())
        self.fields = ", ".join(fields) or _summary_text(row.get("metadata"))
        self.duration = _duration(row.get("duration_ms"))
        self.imported = _imported_from(row.get("metadata"))
        job_id, root_id = row.get("job_id"), row.get("root_job_id")
        self.job = safe_text(job_id) if job_id else None
        shows_root = root_id and not row.get("is_root_job") and root_id != job_id
        self.root = safe_text(root_id) if shows_root else None
        if row.get("username"):
            self.who, self.who_muted = row["username"], False
        elif row.get("user_id"):
            self.who, self.who_muted = f"user #{row['user_id']}", False
        else:
            self.who, self.who_muted = row.get("triggered_by") or "system", True


def _summary_text(metadata: object) -> str:
    """A root row that changed no field of its own says what its job did (`3 tracks added`)."""
    summary = metadata.get("summary") if isinstance(metadata, Mapping) else None
    return str(summary.get("text") or "") if isinstance(summary, Mapping) else ""


def _imported_from(metadata: object) -> str | None:
    """The system a row was imported from (llama import-log keeps it in metadata.legacy)."""
    legacy = metadata.get("legacy") if isinstance(metadata, Mapping) else None
    return str(legacy.get("system") or "legacy") if isinstance(legacy, Mapping) else None


def _duration(ms: int | None) -> str | None:
    if ms is None:
        return None
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def safe_text(value: object) -> str:
    """`value` as text that needs no escaping: ids and uuids as they are, anything else escaped."""
    if isinstance(value, (int, uuid.UUID)):
        return str(value)
    return str(escape(value))


def log_row_views(rows: Iterable[LogRow], expand: object = None, row_qs: str = "") -> list[LogRowView]:
    """The rows of a log table page; `expand` is the id of the open row, `row_qs` the page's filter."""
    qs = str(escape(row_qs or ""))
    return [LogRowView(row, row["id"] == expand, qs) for row in rows]
