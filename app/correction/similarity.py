"""How alike two titles, names or durations are, as a fraction from 0 to 1."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.fuzz import ratio

from app.catalog.names import fold

# Durations this close are the same recording; beyond LOOSE_MS they are different ones.
CLOSE_MS = 3_000
LOOSE_MS = 15_000


@lru_cache(maxsize=8192)
def _folded(text: str, drop_featuring: bool) -> str:
    # Aligning two tracklists compares every pair: each title is folded once, not once per pair.
    return fold(text, drop_featuring=drop_featuring)


def text_similarity(a: str | None, b: str | None, *, drop_featuring: bool = False) -> float | None:
    """Folded (case, accents, punctuation, `&`/and) similarity; word order does not matter much.

    None when either side is blank: nothing to compare.
    """
    if not (a or "").strip() or not (b or "").strip():
        return None
    left = _folded(a or "", drop_featuring)
    right = _folded(b or "", drop_featuring)
    if not left or not right:
        # Titles made only of punctuation ("+", "÷") fold to nothing: compare them as written.
        return 1.0 if (a or "").strip().casefold() == (b or "").strip().casefold() else 0.0
    if left == right:
        return 1.0
    # rapidfuzz's ratio (Indel similarity) in place of difflib's: the same 0–1 scale, in C (aligning
    # two tracklists compares every pair, and a bulk apply aligns a thousand of them).
    direct = ratio(left, right) / 100
    sorted_words = ratio(" ".join(sorted(left.split())), " ".join(sorted(right.split()))) / 100
    return max(direct, sorted_words)


def duration_closeness(a: int | None, b: int | None) -> float | None:
    """1 within CLOSE_MS, falling linearly to 0 at LOOSE_MS; None when either is unknown."""
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    gap = abs(a - b)
    if gap <= CLOSE_MS:
        return 1.0
    if gap >= LOOSE_MS:
        return 0.0
    return 1.0 - (gap - CLOSE_MS) / (LOOSE_MS - CLOSE_MS)
