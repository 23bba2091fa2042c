"""Candidates kept in the database (the fix_candidate table): a Candidate to JSON and back."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from app.correction.candidates import Candidate, CandidateArtist, CandidateTrack


def candidate_json(candidate: Candidate) -> str:
    return json.dumps(asdict(candidate), ensure_ascii=False)


def candidate_from(value: Any) -> Candidate:
    """The Candidate stored by `candidate_json` (a str, or a dict when the driver decoded it)."""
    data = dict(json.loads(value) if isinstance(value, str) else value)
    data["artists"] = tuple(CandidateArtist(**a) for a in data.get("artists") or ())
    data["tracks"] = tuple(CandidateTrack(**t) for t in data.get("tracks") or ())
    data["also"] = tuple(data.get("also") or ())
    return Candidate(**data)


def loads(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value
