"""What to search for: an album title without its edition words, an artist credit as separate names."""

from __future__ import annotations

import re

# Words that name an edition or a guest, never the release itself (case-insensitive).
_EDITION = (
    r"deluxe|edition|version|re-?master(?:ed)?|master(?:ed)?|expanded|anniversary|bonus|reissue"
    r"|explicit|clean|mono|stereo|feat\.?|ft\.?|featuring"
)
# "Remain in Light (Deluxe Version)", "Trans-Europe Express [2009 Remaster]"
_BRACKETED = re.compile(rf"\s*[(\[][^()\[\]]*\b(?:{_EDITION})(?:\b|(?<=\.))[^()\[\]]*[)\]]\s*$", re.I)
# "Nevermind - 20th Anniversary Edition", "Blue Lines - 2012 Mix/Master"
_DASHED = re.compile(rf"\s+[-–—]\s+[^-–—]*\b(?:{_EDITION}|single|ep)(?:\b|(?<=\.))[^-–—]*$", re.I)
_JOINS = re.compile(r"\s*(?:,|&|\band\b|\bfeat\.|\bfeat\b|\bft\.|\bfeaturing\b|\bvs\.?)\s*", re.I)


def search_title(title: str) -> str:
    """The title as the release itself most likely spells it: trailing edition words dropped."""
    found = title.strip()
    while True:
        shorter = _DASHED.sub("", _BRACKETED.sub("", found)).strip()
        if not shorter or shorter == found:
            return found
        found = shorter


def artist_names(credit: str) -> list[str]:
    """ "Lady Gaga, Bruno Mars" or "Drake feat. 21 Savage" as the names it joins."""
    return [name for name in (part.strip() for part in _JOINS.split(credit)) if name]
