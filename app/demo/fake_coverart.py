"""The fake Cover Art Archive: stored listings by release, or by release group via the releases."""

from __future__ import annotations

import re

from app.demo.fake_musicbrainz import UUID
from app.demo.payloads import Answer, Payloads


def coverart(p: Payloads, path: str) -> Answer:
    not_found = Answer(404, b"Not Found", "text/plain; charset=utf-8")
    if match := re.fullmatch(rf"/release/({UUID})/?", path):
        found = p.caa.get(match[1])
        return Answer(200, found[0]) if found else not_found
    if match := re.fullmatch(rf"/release-group/({UUID})/?", path):
        # The archive answers for a group with the listing of one of its releases.
        for mbid, (_, release) in p.mb_releases.items():
            if (release.get("release-group") or {}).get("id") == match[1] and mbid in p.caa:
                return Answer(200, p.caa[mbid][0])
    return not_found
