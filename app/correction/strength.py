"""Match strength in words: "strong match 96 (MusicBrainz)", "ask: #1 and #2 within 3 points"."""

from __future__ import annotations

from dataclasses import dataclass

from app.correction.matching import Matching
from app.correction.tables import MatchStrength

SOURCE_NAMES = {"MUSICBRAINZ": "MusicBrainz", "DISCOGS": "Discogs"}


@dataclass(frozen=True)
class Verdict:
    strength: MatchStrength
    top: int | None = None
    second: int | None = None
    source: str | None = None

    def words(self, matching: Matching) -> str:
        if self.strength == MatchStrength.strong:
            return f"strong match {self.top} ({SOURCE_NAMES.get(self.source or '', self.source)})"
        if self.strength == MatchStrength.ask:
            if (
                self.top is not None
                and self.second is not None
                and self.top - self.second <= matching.ask_gap
            ):
                return f"ask: #1 and #2 within {matching.ask_gap} points"
            return f"ask: best {self.top} is below {matching.strong_threshold}"
        if self.strength == MatchStrength.failed:
            return "no candidate yet (the search failed upstream)"
        return "no candidate"


def classify(scores: list[int], source: str | None, matching: Matching) -> Verdict:
    """Strong: the top score reaches the threshold and #2 trails by more than the ask gap."""
    if not scores:
        return Verdict(MatchStrength.none)
    ordered = sorted(scores, reverse=True)
    top, second = ordered[0], (ordered[1] if len(ordered) > 1 else None)
    close = second is not None and top - second <= matching.ask_gap
    strong = top >= matching.strong_threshold and not close
    return Verdict(MatchStrength.strong if strong else MatchStrength.ask, top, second, source)
