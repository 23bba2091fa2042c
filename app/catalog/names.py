"""Name folding for matching: case, diacritics, punctuation and `feat.` do not make a difference."""

from __future__ import annotations

import re
import unicodedata

_FEAT = re.compile(r"\s*[\(\[]?\b(feat\.?|ft\.?|featuring)\b.*$", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str, *, drop_featuring: bool = False) -> str:
    """Lowercase, strip accents and punctuation, collapse spaces; `&` reads as `and`."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    if drop_featuring:
        text = _FEAT.sub("", text)
    text = text.casefold().replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).split())
