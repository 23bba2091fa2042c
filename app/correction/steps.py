"""The fix flow's steps as one service call each: search → candidates, key → preview, picks → apply."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from app.catalog.albums import VersionConflict
from app.correction.apply import ApplyResult, apply_candidate, release_owner
from app.correction.candidates import Candidate
from app.correction.cover import queue_cover
from app.correction.current import CurrentAlbum, load_current
from app.correction.failed import record_failed_correction
from app.correction.lookup import candidate_by_key
from app.correction.matching import Matching, current_matching
from app.correction.preview import Preview, build_preview
from app.correction.scoring import Loss, Score, lost_against, rank, score
from app.correction.search import SearchQuery, find_candidates
from app.correction.why import runner_up_for
from app.sources.errors import SourceError


@dataclass
class CandidateList:
    album: CurrentAlbum
    query: SearchQuery
    ranked: list[tuple[Candidate, Score]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    matching: Matching = field(default_factory=Matching)

    @property
    def runner_up_losses(self) -> list[Loss]:
        """Where #2 lost points against #1 ("why this match")."""
        if len(self.ranked) < 2:
            return []
        return lost_against(self.ranked[0][1], self.ranked[1][1])


def default_query(album: CurrentAlbum, query: SearchQuery) -> SearchQuery:
    """A blank form searches for the album's own title and artist."""
    if not query.empty:
        return query
    return SearchQuery(title=str(album.row.get("title") or ""), artist=album.artist_credit)


async def search_for_album(album_id: uuid.UUID, query: SearchQuery) -> CandidateList:
    """Candidates for the album, best score first (LookupError when the album does not exist)."""
    album = await load_current(album_id)
    query = default_query(album, query)
    outcome = await find_candidates(query)
    matching = await current_matching()
    return CandidateList(
        album=album,
        query=query,
        ranked=rank(album, outcome.candidates, matching.weights),
        notes=outcome.notes,
        matching=matching,
    )


async def preview_for_album(album_id: uuid.UUID, key: str, *, discogs_id: str | None = None) -> Preview:
    """The full candidate (fetched once, then cached) next to the album as it is now."""
    candidate = await candidate_by_key(key, discogs_id=discogs_id)
    matching = await current_matching()
    preview = build_preview(await load_current(album_id), candidate, weights=matching.weights)
    mbid = next((f for f in preview.fields if f.name == "musicbrainz_id" and f.takeable), None)
    owner = await release_owner(mbid.proposed, album_id) if mbid else None
    if mbid and owner:
        taken = replace(mbid, status="invalid", take=False, error=f"already the ID of “{owner['title']}”")
        preview = replace(preview, fields=tuple(taken if f is mbid else f for f in preview.fields))
    return preview


async def apply_picks(
    album_id: uuid.UUID,
    key: str,
    *,
    discogs_id: str | None,
    expected_version: int,
    take_fields: set[str],
    take_tracks: set[str],
) -> ApplyResult:
    """Apply the picked fields and tracks; then queue the cover when the release changed.

    A failure (upstream error, version conflict, picks that cannot apply) rolls everything back,
    writes the album's FAILED row with its error_code, and is raised as it came.
    """
    try:
        candidate = await candidate_by_key(key, discogs_id=discogs_id)
        matching = await current_matching()
        applied = score(await load_current(album_id), candidate, matching.weights)
        runner_up = await runner_up_for(album_id, key, applied)
        result = await apply_candidate(
            album_id,
            candidate,
            expected_version=expected_version,
            take_fields=take_fields,
            take_tracks=take_tracks,
            weights=matching.weights,
            why={"runner_up": runner_up} if runner_up else None,
        )
    except (SourceError, ValueError, VersionConflict) as exc:
        await record_failed_correction(album_id, key, exc, take_fields=take_fields, take_tracks=take_tracks)
        raise
    if "musicbrainz_id" in result.fields and "cover_art_url" not in result.fields:
        result.cover_job = await queue_cover(album_id)
    return result
