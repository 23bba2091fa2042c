"""Why this match: each stored candidate's breakdown, and where the runner-up lost against #1."""

from __future__ import annotations

import uuid

from app.correction.scoring import Score, lost_against, score_from_dict
from app.correction.stored import loads
from app.correction.tables import FixCandidate


def _losses(top: Score, other: Score) -> list[dict[str, object]]:
    return [vars(loss) | {"lost": loss.lost} for loss in lost_against(top, other)]


async def stored_candidates(album_id: uuid.UUID) -> list[dict[str, object]]:
    """The album's candidates found ahead, best first: key, source, title, score with its components
    (weight, fraction, points, both raw values) and, from #2 on, where each lost against #1."""
    rows = (
        await FixCandidate.select(
            FixCandidate.position,
            FixCandidate.candidate_key,
            FixCandidate.source,
            FixCandidate.title,
            FixCandidate.breakdown,
        )
        .where(FixCandidate.album_id == album_id)
        .order_by(FixCandidate.position)
    )
    out: list[dict[str, object]] = []
    top: Score | None = None
    for row in rows:
        score = score_from_dict(loads(row["breakdown"]) or {})
        entry: dict[str, object] = {
            "position": row["position"],
            "key": row["candidate_key"],
            "source": row["source"],
            "title": row["title"],
            "score": score.as_dict(),
        }
        if top is None:
            top = score
        else:
            entry["lost_against_top"] = _losses(top, score)
        out.append(entry)
    return out


async def runner_up_for(album_id: uuid.UUID, key: str, applied: Score) -> dict[str, object] | None:
    """The best other stored candidate next to the one applied, for the CORRECTED row's metadata."""
    row = (
        await FixCandidate.select(FixCandidate.candidate_key, FixCandidate.title, FixCandidate.breakdown)
        .where((FixCandidate.album_id == album_id) & (FixCandidate.candidate_key != key))
        .order_by(FixCandidate.position)
        .first()
    )
    if row is None:
        return None
    score = score_from_dict(loads(row["breakdown"]) or {})
    return {
        "key": row["candidate_key"],
        "title": row["title"],
        "score": score.as_dict(),
        "lost": _losses(applied, score),
    }
