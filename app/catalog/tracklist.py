"""Reading a pasted tracklist: `1. Title 3:45`, `01 - Title (3:45)`, `2-03 Title`, `Title`, one a line."""

from __future__ import annotations

import re

from app.catalog.records import TrackInput
from app.catalog.validation import ValidationError, clean_track_fields
from app.column_limits import text_problem

MAX_LINES = 300
# The words a problem on a line is told in (the fields' own names are for the code).
_FIELD_WORDS = {"title": "title", "duration_ms": "length", "track_number": "number", "disc_number": "disc"}
_DISC_HEADER = re.compile(r"^\s*(?:disc|disk|cd)\s*(\d{1,2})\s*:?\s*$", re.IGNORECASE)
_NUMBER = re.compile(
    r"^\s*(?:(?P<disc>\d{1,2})[-.](?P<pos>\d{1,3})|(?P<num>\d{1,3}))(?:[.):\]]|\s+[-–—]|\t|\s)\s*"
)
_DURATION = re.compile(r"[\s\-–—]*[(\[]?(?P<dur>\d{1,3}:\d{2}(?::\d{2})?)[)\]]?\s*$")


def parse_tracklist(text: str, *, start: int = 1, disc: int = 1) -> list[tuple[int, TrackInput]]:
    """(line number, track) for each non-blank line; ValidationError lists every bad line.

    Lines without a number continue from the previous one (the first from `start`); a `Disc 2`
    line switches disc and restarts at 1.
    """
    problem = text_problem(text, multiline=True)
    if problem:
        raise ValidationError({"tracklist": problem})
    lines = text.splitlines()
    if len([line for line in lines if line.strip()]) > MAX_LINES:
        raise ValidationError({"tracklist": f"at most {MAX_LINES} lines at once"})
    tracks: list[tuple[int, TrackInput]] = []
    problems: list[str] = []
    number = start - 1
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        header = _DISC_HEADER.match(line)
        if header:
            disc, number = int(header.group(1)), 0
            continue
        rest = line
        track_disc = disc
        found = _NUMBER.match(rest)
        if found:
            if found.group("pos"):
                track_disc, number = int(found.group("disc")), int(found.group("pos"))
            else:
                number = int(found.group("num"))
            rest = rest[found.end() :]
        else:
            number += 1
        duration = None
        timed = _DURATION.search(rest)
        if timed and timed.start() > 0:
            duration = timed.group("dur")
            rest = rest[: timed.start()]
        title = rest.strip().strip("-–—").strip()
        try:
            clean = clean_track_fields(
                {"title": title, "track_number": number, "disc_number": track_disc, "duration_ms": duration},
                typed=True,
            )
        except ValidationError as exc:
            said = ", ".join(f"{_FIELD_WORDS.get(k, k)}: {v}" for k, v in exc.errors.items())
            problems.append(f"line {line_no}: {said}")
            continue
        tracks.append((line_no, TrackInput(**clean)))
    seen: dict[tuple[int, int], int] = {}
    for line_no, track in tracks:
        key = (track.disc_number, track.track_number)
        if key in seen:
            problems.append(f"line {line_no}: track {key[1]} of disc {key[0]} is also on line {seen[key]}")
        seen.setdefault(key, line_no)
    if problems:
        raise ValidationError({"tracklist": "; ".join(problems)})
    if not tracks:
        raise ValidationError({"tracklist": "paste at least one line like `1. Title 3:45`"})
    return tracks
