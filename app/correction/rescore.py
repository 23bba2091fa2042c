"""Stored candidates under other weights: the ranking preview and the re-score after saving.

A component's fraction does not depend on the weights, so re-scoring a stored breakdown needs no
upstream call and no album read: `reweigh` multiplies the stored fractions by the draft weights.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from app.catalog.tables import Album
from app.correction.matching import Matching, save_matching
from app.correction.scoring import Score, points_for, reweigh, score_from_dict
from app.correction.stored import loads
from app.correction.strength import Verdict, classify
from app.correction.tables import FixCandidate, FixMatch, MatchStrength
from app.db import transaction
from app.llamalog.tables import LlamaLog

RECENT_CORRECTIONS = 200


@dataclass(frozen=True)
class Ranked:
    key: str
    source: str
    title: str
    total: int
    position: int  # where it stood before: ties keep that order
    row_id: int
    breakdown: dict[str, object]


@dataclass(frozen=True)
class RankChange:
    """An album whose top candidate or strong/ask status differs under the draft."""

    album_id: uuid.UUID
    title: str
    kind: str  # queue | correction
    before_key: str | None
    after_key: str | None
    before_words: str
    after_words: str
    before_score: int | None
    after_score: int | None


@dataclass
class RankingPreview:
    changes: list[RankChange] = field(default_factory=list)
    queue_albums: int = 0
    corrections: int = 0


def _ranked(rows: list[dict[str, Any]], weights: dict[str, int], *, full: bool = False) -> list[Ranked]:
    """Stored candidates re-scored under `weights`, best first (ties keep their old order).

    The preview needs only totals: summed straight from the stored fractions; `full` rebuilds each
    breakdown for storing."""
    out = []
    for row in rows:
        stored = row.get("_loaded")
        if stored is None:
            stored = row["_loaded"] = loads(row["breakdown"]) or {}
        if full:
            rescored = reweigh(score_from_dict(stored).components, weights)
            total, breakdown = rescored.total, _as_dict(rescored)
        else:
            total = sum(points_for(weights[c["key"]], c["fraction"]) for c in stored.get("components") or ())
            breakdown = {}
        out.append(
            Ranked(
                key=row["candidate_key"],
                source=row["source"],
                title=row["title"],
                total=total,
                position=int(row["position"]),
                row_id=int(row["id"]),
                breakdown=breakdown,
            )
        )
    return sorted(out, key=lambda r: (-r.total, r.position))


def _as_dict(score: Score) -> dict[str, object]:
    return dict(score.as_dict())


def _verdict(ranked: list[Ranked], matching: Matching) -> Verdict:
    return classify([r.total for r in ranked], ranked[0].source if ranked else None, matching)


async def _stored_by_album() -> dict[uuid.UUID, list[dict[str, Any]]]:
    rows = await FixCandidate.select(
        FixCandidate.id,
        FixCandidate.album_id,
        FixCandidate.position,
        FixCandidate.candidate_key,
        FixCandidate.source,
        FixCandidate.title,
        FixCandidate.breakdown,
    ).where(FixCandidate.album_id.is_in(Album.select(Album.id).where(Album.broken_reasons != "")))
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["album_id"]].append(row)
    return grouped


async def _titles(album_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not album_ids:
        return {}
    return {
        r["id"]: r["title"]
        for r in await Album.select(Album.id, Album.title).where(Album.id.is_in(album_ids))
    }


async def _recent_corrections(limit: int) -> list[dict[str, Any]]:
    rows = (
        await LlamaLog.select(LlamaLog.id, LlamaLog.entity_id, LlamaLog.entity_label, LlamaLog.metadata)
        .where(
            (LlamaLog.entity_type == "ALBUM")
            & (LlamaLog.category == "CORRECTED")
            & (LlamaLog.operation.is_in(["album:corrected:musicbrainz", "album:corrected:discogs"]))
        )
        .order_by(LlamaLog.id, ascending=False)
        .limit(limit)
    )
    return rows


def _correction_change(row: dict[str, Any], current: Matching, draft: Matching) -> RankChange | None:
    meta = loads(row["metadata"]) or {}
    stored = meta.get("score")
    if not stored:
        return None
    components = score_from_dict(stored).components
    runner = meta.get("runner_up", {}).get("score") if isinstance(meta.get("runner_up"), dict) else None
    runner_components = score_from_dict(runner).components if runner else None

    def verdict(matching: Matching) -> tuple[Verdict, int, int | None]:
        top = reweigh(components, matching.weights).total
        second = reweigh(runner_components, matching.weights).total if runner_components else None
        scores = [top] + ([second] if second is not None else [])
        return classify(scores, (meta.get("candidate") or {}).get("source"), matching), top, second

    (before, before_top, before_second), (after, after_top, after_second) = verdict(current), verdict(draft)
    runner_overtakes = (
        before_second is not None
        and after_second is not None
        and before_top >= before_second
        and after_second > after_top
    )
    if before.strength == after.strength and not runner_overtakes:
        return None
    key = (meta.get("candidate") or {}).get("key")
    runner_key = (meta.get("runner_up") or {}).get("key")
    return RankChange(
        album_id=row["entity_id"],
        title=row["entity_label"] or "",
        kind="correction",
        before_key=key,
        after_key=runner_key if runner_overtakes else key,
        before_words=before.words(current),
        after_words=after.words(draft),
        before_score=before_top,
        after_score=after_top,
    )


async def ranking_preview(current: Matching, draft: Matching) -> RankingPreview:
    """Every album of the queue, and of the last 200 corrections, whose top candidate or
    strong/ask status would change under `draft`."""
    preview = RankingPreview()
    grouped = await _stored_by_album()
    preview.queue_albums = len(grouped)
    changed: list[tuple[uuid.UUID, list[Ranked], list[Ranked], Verdict, Verdict]] = []
    for album_id, rows in grouped.items():
        before, after = _ranked(rows, current.weights), _ranked(rows, draft.weights)
        v_before, v_after = _verdict(before, current), _verdict(after, draft)
        if before[0].key != after[0].key or v_before.strength != v_after.strength:
            changed.append((album_id, before, after, v_before, v_after))
    titles = await _titles([c[0] for c in changed])
    for album_id, before, after, v_before, v_after in changed:
        preview.changes.append(
            RankChange(
                album_id=album_id,
                title=titles.get(album_id, ""),
                kind="queue",
                before_key=before[0].key,
                after_key=after[0].key,
                before_words=v_before.words(current),
                after_words=v_after.words(draft),
                before_score=before[0].total,
                after_score=after[0].total,
            )
        )
    corrections = await _recent_corrections(RECENT_CORRECTIONS)
    preview.corrections = len(corrections)
    for row in corrections:
        change = _correction_change(row, current, draft)
        if change is not None:
            preview.changes.append(change)
    preview.changes.sort(key=lambda c: (c.kind != "queue", c.title.casefold()))
    return preview


async def rescore_stored(matching: Matching) -> int:
    """Re-rank every stored candidate under `matching` (inside the caller's transaction); returns albums."""
    grouped = await _stored_by_album()
    async with transaction():
        for album_id, rows in grouped.items():
            ranked = _ranked(rows, matching.weights, full=True)
            for position, r in enumerate(ranked, start=1):
                await FixCandidate.update(
                    {
                        FixCandidate.position: position,
                        FixCandidate.score: r.total,
                        FixCandidate.breakdown: json.dumps(r.breakdown),
                    }
                ).where(FixCandidate.id == r.row_id)
            verdict = _verdict(ranked, matching)
            await FixMatch.update(
                {
                    FixMatch.strength: verdict.strength,
                    FixMatch.top_score: verdict.top,
                    FixMatch.second_score: verdict.second,
                    FixMatch.top_source: verdict.source,
                    FixMatch.settings_version: matching.version,
                }
            ).where((FixMatch.album_id == album_id) & (FixMatch.strength != MatchStrength.failed))
    return len(grouped)


async def save_and_rescore(
    draft: Matching, *, user_id: int | None, username: str | None
) -> tuple[Matching, int]:
    """Save the settings (who, before, after) and re-rank the stored candidates: one transaction."""
    async with transaction():
        saved = await save_matching(draft, user_id=user_id, username=username)
        albums = await rescore_stored(saved)
    return saved, albums
