"""Find candidate releases for an album on MusicBrainz and Discogs, merged and de-duplicated.

What the admin pastes decides the lookups: an MBID or MusicBrainz URL, a Discogs URL or id
(`r123`, `discogs:123`), a barcode, else a catalog number (with the label when given). With nothing
pasted, title and artist search both sources. A source that is disabled or failing is reported, not fatal.
Every candidate is then fetched in full (cached for the preview and apply), so the list scores the
same release the preview shows: one score per candidate.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.correction.adapters import from_discogs_hit, from_musicbrainz
from app.correction.candidates import Candidate, merge
from app.correction.lookup import candidate_by_key, lookup_discogs, lookup_musicbrainz
from app.correction.titles import artist_names, search_title
from app.sources import clients
from app.sources.errors import NotFound, SourceDisabled, SourceError
from app.sources.musicbrainz import phrase

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_MB_RELEASE = re.compile(rf"^(?:https?://(?:\w+\.)?musicbrainz\.org/release/)?({_UUID})(?:[/?#].*)?$")
_DISCOGS_URL = re.compile(r"discogs\.com/(?:[^/]+/)?(release|master)/(\d+)", re.IGNORECASE)
_DISCOGS_ID = re.compile(r"^(?:discogs:|\[?r)(\d+)\]?$", re.IGNORECASE)
_BARCODE = re.compile(r"^\d{8,14}$")
_MBID_BARE = re.compile(r"^[0-9a-fA-F]{32}$")
# Shaped like an MBID (five dash-separated groups, hex for the most part) but not one: a typo,
# a digit lost in the copy. A catalog number this long and this hexadecimal does not occur.
_MBID_LIKE = re.compile(r"^[0-9a-zA-Z]{6,10}(?:-[0-9a-zA-Z]{2,6}){2,4}-?[0-9a-zA-Z]{8,14}$")
_LINK = re.compile(r"^(?:https?://|www\.|[\w.-]*(?:musicbrainz\.org|discogs\.com)/)", re.IGNORECASE)
# Hits per source; each is fetched in full (MusicBrainz: one request a second), so keep it short.
SEARCH_LIMIT = 5
Found = TypeVar("Found")  # a candidate, or a search result of the add-from-search page


class NotALookup(ValueError):
    """What was pasted looks like an id or a link but is not one we can look up (said in words)."""


@dataclass(frozen=True)
class Pasted:
    kind: str  # mbid | discogs_release | discogs_master | barcode | catno
    value: str


@dataclass(frozen=True)
class SearchQuery:
    pasted: str = ""
    title: str = ""
    artist: str = ""
    label: str = ""

    @property
    def empty(self) -> bool:
        return not (self.pasted.strip() or self.title.strip())


@dataclass
class SearchOutcome:
    candidates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "Discogs is disabled: …", "MusicBrainz: timeout"
    # Upstream errors (not "disabled", not "not found"): (source, error_code, message).
    failures: list[tuple[str, str, str]] = field(default_factory=list)


def read_pasted(text: str) -> Pasted | None:
    """What a pasted string names; None when blank; NotALookup for a malformed id or link."""
    value = text.strip()
    if not value:
        return None
    if match := _MB_RELEASE.match(value):
        return Pasted("mbid", match.group(1).lower())
    if _MBID_BARE.match(value):
        bare = value.lower()
        return Pasted("mbid", f"{bare[:8]}-{bare[8:12]}-{bare[12:16]}-{bare[16:20]}-{bare[20:]}")
    if match := _DISCOGS_URL.search(value):
        return Pasted(f"discogs_{match.group(1).lower()}", match.group(2))
    if match := _DISCOGS_ID.match(value):
        return Pasted("discogs_release", match.group(1))
    _refuse_malformed(value)
    digits = value.replace(" ", "").replace("-", "")
    if _BARCODE.match(digits):
        return Pasted("barcode", digits)
    return Pasted("catno", value)


def _refuse_malformed(value: str) -> None:
    """A link or an MBID-shaped string that matched none of the lookups is a mistake, not a catno."""
    if _LINK.match(value):
        if "musicbrainz.org" in value.lower():
            raise NotALookup(
                f"not a MusicBrainz release link: {value} (paste https://musicbrainz.org/release/<id>)"
            )
        if "discogs.com" in value.lower():
            raise NotALookup(f"not a Discogs release or master link: {value} (…/release/<number>)")
        raise NotALookup(f"not a MusicBrainz or Discogs link: {value}")
    hex_digits = sum(ch in "0123456789abcdefABCDEF" for ch in value)
    if _MBID_LIKE.match(value) and hex_digits >= 28:
        raise NotALookup(
            f"not a MusicBrainz id: {value} (an id is 32 hexadecimal digits, grouped 8-4-4-4-12)"
        )


def _barcode_key(candidate: Candidate) -> str | None:
    digits = "".join(ch for ch in candidate.barcode or "" if ch.isdigit()).lstrip("0")
    return digits or None


def merge_candidates(found: list[Candidate]) -> list[Candidate]:
    """One entry per release, in first-seen order.

    The same MBID or Discogs id merge (the one with tracks leads); a Discogs release carrying an
    MB release's barcode joins it as one candidate with both ids.
    """
    by_key: dict[str, Candidate] = {}
    for candidate in found:
        kept = by_key.get(candidate.key)
        if kept is None:
            by_key[candidate.key] = candidate
        elif candidate.tracks and not kept.tracks:
            by_key[candidate.key] = merge(candidate, kept)
        else:
            by_key[candidate.key] = merge(kept, candidate)
    merged = list(by_key.values())
    owner = {_barcode_key(c): c.key for c in merged if c.source == "MUSICBRAINZ" and _barcode_key(c)}
    for candidate in merged:
        target = owner.get(_barcode_key(candidate)) if candidate.source == "DISCOGS" else None
        if target is None or by_key[target].discogs_id:
            continue
        by_key[target] = merge(by_key[target], candidate)
        del by_key[candidate.key]
    return list(by_key.values())


async def _guard(
    source: str,
    call: Awaitable[list[Found]],
    notes: list[str],
    failures: list[tuple[str, str, str]] | None = None,
) -> list[Found]:
    try:
        return await call
    except SourceDisabled as exc:
        notes.append(f"{source} is disabled: {exc.message}")
    except NotFound:
        notes.append(f"{source}: not found")
    except SourceError as exc:
        notes.append(f"{source}: {exc.message} ({exc.error_code})")
        if failures is not None:
            failures.append((source, exc.error_code, exc.message))
    return []


async def _mb_release(mbid: str) -> list[Candidate]:
    return [await lookup_musicbrainz(mbid)]


async def _mb_search(query: str) -> list[Candidate]:
    page = await clients.musicbrainz().search_releases(query, limit=SEARCH_LIMIT)
    return [from_musicbrainz(release) for release in page.releases]


async def _discogs_release(release_id: str) -> list[Candidate]:
    return [await lookup_discogs(release_id)]


async def _discogs_master(master_id: str) -> list[Candidate]:
    master = await clients.discogs().master(master_id)
    if master.main_release_id is None:
        raise NotFound(f"master {master_id} has no main release", source="DISCOGS")
    return [await lookup_discogs(str(master.main_release_id))]


async def _discogs_search(*, barcode: str | None = None, **params: Any) -> list[Candidate]:
    page = await clients.discogs().search(per_page=SEARCH_LIMIT, **params)
    return [from_discogs_hit(hit, barcode=barcode) for hit in page.items if hit.type == "release"]


def _calls(query: SearchQuery) -> list[tuple[str, Awaitable[list[Candidate]]]]:
    calls: list[tuple[str, Awaitable[list[Candidate]]]] = []
    pasted = read_pasted(query.pasted)
    discogs_on = clients.discogs().enabled
    if pasted and pasted.kind == "mbid":
        calls.append(("MusicBrainz", _mb_release(pasted.value)))
    elif pasted and pasted.kind == "discogs_release":
        calls.append(("Discogs", _discogs_release(pasted.value)))
    elif pasted and pasted.kind == "discogs_master":
        calls.append(("Discogs", _discogs_master(pasted.value)))
    elif pasted and pasted.kind == "barcode":
        calls.append(("MusicBrainz", _mb_search(f"barcode:{pasted.value}")))
        if discogs_on:
            calls.append(("Discogs", _discogs_search(query=pasted.value, barcode=pasted.value)))
    elif pasted:
        label = query.label.strip()
        mb_query = f"catno:{phrase(pasted.value)}" + (f" AND label:{phrase(label)}" if label else "")
        calls.append(("MusicBrainz", _mb_search(mb_query)))
        if discogs_on:
            calls.append(("Discogs", _discogs_search(query=f"{pasted.value} {label}".strip())))
    # Streaming titles carry edition words ("(Deluxe Edition)", "- 2009 Remaster") that the
    # release's own title lacks; each credited artist is a clause of its own.
    title, artist = search_title(query.title), query.artist.strip()
    if title and not pasted:
        names = artist_names(artist)
        mb_query = " AND ".join([f"release:{phrase(title)}", *(f"artist:{phrase(name)}" for name in names)])
        calls.append(("MusicBrainz", _mb_search(mb_query)))
        if discogs_on:
            calls.append(("Discogs", _discogs_search(title=title, artist=names[0] if names else None)))
    return calls


async def _in_full(candidate: Candidate, notes: list[str]) -> Candidate:
    """The release as the preview and apply will see it (the lookup is cached for them)."""
    if candidate.tracks:
        return candidate
    try:
        merged_with = candidate.discogs_id if candidate.also else None
        return await candidate_by_key(candidate.key, discogs_id=merged_with)
    except SourceError as exc:
        notes.append(f"{candidate.title}: not fetched in full ({exc.error_code}); its score may change")
        return candidate


async def find_candidates(query: SearchQuery) -> SearchOutcome:
    """Every lookup the query implies, run together; failures become notes."""
    outcome = SearchOutcome()
    calls = _calls(query)
    pasted = read_pasted(query.pasted)
    if not clients.discogs().enabled and not (pasted and pasted.kind.startswith(("mbid", "discogs"))):
        outcome.notes.append(f"Discogs is disabled: {clients.discogs().status().reason}")
    results = await asyncio.gather(
        *(_guard(source, call, outcome.notes, outcome.failures) for source, call in calls)
    )
    merged = merge_candidates([c for found in results for c in found])
    outcome.candidates = list(await asyncio.gather(*(_in_full(c, outcome.notes) for c in merged)))
    outcome.notes = list(dict.fromkeys(outcome.notes))
    return outcome
