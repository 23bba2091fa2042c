"""The /jobs filters: kind, status, source, user, since, until, arg (kept in the URL).

An unknown value is a FilterError naming the parameter (a 400 on the page and the API).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from app.jobs.actors import ActorName
from app.jobs.tables import JOB_STATUSES
from app.llamalog.filters import FilterError, choice, one_param, parse_when

MAX_ARG = 200
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# Kinds a Job row can have besides the declared actors: a log import, a script's own job.
OTHER_KINDS = ("import-log", "script")
# The upstream source each kind of run talks to (a sync to its own; enrichment to MusicBrainz
# first; covers to the Cover Art Archive).
SOURCE_KINDS: dict[str, tuple[str, ...]] = {
    "spotify": (ActorName.SYNC_SPOTIFY,),
    "musicbrainz": (ActorName.SYNC_MUSICBRAINZ, ActorName.ENRICH_ALBUM, ActorName.ENRICH_ARTIST),
    "coverartarchive": (ActorName.CACHE_COVER,),
}
PARAMS = ("kind", "status", "source", "user", "since", "until", "arg")


def known_kinds() -> tuple[str, ...]:
    return (*(name.value for name in ActorName), *OTHER_KINDS)


@dataclass(frozen=True)
class JobFilter:
    kind: str | None = None
    status: str | None = None
    source: str | None = None
    user: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    arg: str | None = None
    roots_only: bool = False

    def query_items(self) -> list[tuple[str, str]]:
        """The filter as URL parameters (dates in ISO form), for links and the bulk form."""
        items: list[tuple[str, str]] = []
        for name in PARAMS:
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                value = value.isoformat()
            if value:
                items.append((name, str(value)))
        if self.roots_only:
            items.append(("roots", "1"))
        return items

    def urlencode(self) -> str:
        return urlencode(self.query_items())

    def as_dict(self) -> dict[str, str]:
        """JSON-safe form carried in a bulk job's arguments."""
        return dict(self.query_items())

    @property
    def active(self) -> bool:
        return bool(self.query_items())

    def with_status(self, status: str) -> JobFilter:
        return replace(self, status=status)


def parse_job_filter(params: Mapping[str, object]) -> JobFilter:
    """Read the /jobs filter parameters; raise FilterError naming the bad one."""
    since = parse_when("since", one_param(params, "since"))
    until = parse_when("until", one_param(params, "until"))
    if since and until and since >= until:
        raise FilterError("since: must be before until")
    user, arg = one_param(params, "user"), one_param(params, "arg")
    if user and len(user) > 100:
        raise FilterError("user: at most 100 characters")
    if arg and len(arg) > MAX_ARG:
        raise FilterError(f"arg: at most {MAX_ARG} characters")
    roots = one_param(params, "roots")
    if roots not in (None, "1", "on", "true"):
        raise FilterError(f"roots: unknown value {roots!r}; use 1")
    return JobFilter(
        kind=choice("kind", one_param(params, "kind"), known_kinds(), fold=str.lower),
        status=choice("status", one_param(params, "status"), JOB_STATUSES, fold=str.lower),
        source=choice("source", one_param(params, "source"), tuple(SOURCE_KINDS), fold=str.lower),
        user=user,
        since=since,
        until=until,
        arg=arg,
        roots_only=roots is not None,
    )


def parse_limit(params: Mapping[str, object], default: int = DEFAULT_LIMIT) -> int:
    raw = one_param(params, "limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise FilterError(f"limit: {raw!r} is not a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise FilterError(f"limit: must be between 1 and {MAX_LIMIT}")
    return limit


def arg_text(args: Sequence[object], kwargs: Mapping[str, object]) -> str | None:
    """What a run is about, for the `arg` filter: its first argument, else its first keyword value."""
    if args:
        value: object = args[0]
    elif kwargs:
        value = next(iter(kwargs.values()))
    else:
        return None
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)[:MAX_ARG]
