"""Tunable matching: the component weights and the strong-match / ask thresholds, kept in the database.

Defaults are the weights of app.correction.scoring.WEIGHTS. The weights must add up to 100 (a
score stays 0–100 and its breakdown adds up to it); each weight is 0–50, the strong-match
threshold 50–100, the ask gap 0–30. A value out of range is refused naming its field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.correction.scoring import LABELS, WEIGHTS
from app.correction.tables import MatchingChange, MatchingSettings

DEFAULT_STRONG = 78
DEFAULT_ASK_GAP = 3
WEIGHT_RANGE = (0, 50)
STRONG_RANGE = (50, 100)
ASK_GAP_RANGE = (0, 30)
ROW_ID = 1


class SettingsError(ValueError):
    """A draft the page refuses: `errors` maps each bad field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Matching:
    weights: dict[str, int] = field(default_factory=lambda: dict(WEIGHTS))
    strong_threshold: int = DEFAULT_STRONG
    ask_gap: int = DEFAULT_ASK_GAP
    version: int = 0  # 0: the defaults, never saved

    def as_dict(self) -> dict[str, object]:
        return {
            "weights": dict(self.weights),
            "strong_threshold": self.strong_threshold,
            "ask_gap": self.ask_gap,
        }


def _number(name: str, raw: object, low: int, high: int, errors: dict[str, str]) -> int:
    text = str(raw if raw is not None else "").strip()
    try:
        value = int(text)
    except ValueError:
        errors[name] = f"{text!r} is not a whole number"
        return 0
    if not low <= value <= high:
        errors[name] = f"{value} is outside {low}–{high}"
    return value


def parse_draft(form: Mapping[str, object]) -> Matching:
    """Read a draft from form fields `weight_<component>`, `strong_threshold`, `ask_gap`."""
    errors: dict[str, str] = {}
    weights = {
        key: _number(f"weight_{key}", form.get(f"weight_{key}", WEIGHTS[key]), *WEIGHT_RANGE, errors)
        for key in WEIGHTS
    }
    strong = _number("strong_threshold", form.get("strong_threshold", DEFAULT_STRONG), *STRONG_RANGE, errors)
    gap = _number("ask_gap", form.get("ask_gap", DEFAULT_ASK_GAP), *ASK_GAP_RANGE, errors)
    if not errors and sum(weights.values()) != 100:
        errors["weights"] = f"the weights add up to {sum(weights.values())}; they must add up to 100"
    if errors:
        raise SettingsError(errors)
    return Matching(weights=weights, strong_threshold=strong, ask_gap=gap)


def _loads(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def current_matching() -> Matching:
    """The saved settings, or the defaults when nobody saved any (one small query)."""
    row = await MatchingSettings.select().where(MatchingSettings.id == ROW_ID).first()
    if row is None:
        return Matching()
    stored = _loads(row["weights"]) or {}
    weights = {key: int(stored.get(key, WEIGHTS[key])) for key in WEIGHTS}
    return Matching(weights, int(row["strong_threshold"]), int(row["ask_gap"]), int(row["version"]))


async def save_matching(draft: Matching, *, user_id: int | None, username: str | None) -> Matching:
    """Store `draft` (inside the caller's transaction) and log who changed what; returns the saved one."""
    before = await current_matching()
    version = before.version + 1
    now = dt.datetime.now(dt.UTC)
    values: dict[Any, Any] = {
        MatchingSettings.weights: json.dumps(draft.weights),
        MatchingSettings.strong_threshold: draft.strong_threshold,
        MatchingSettings.ask_gap: draft.ask_gap,
        MatchingSettings.version: version,
        MatchingSettings.updated_at: now,
        MatchingSettings.updated_by: username,
    }
    if before.version == 0:
        row = MatchingSettings(id=ROW_ID)
        for column, value in values.items():
            setattr(row, column._meta.name, value)
        await MatchingSettings.insert(row)
    else:
        await MatchingSettings.update(values).where(MatchingSettings.id == ROW_ID)
    await MatchingChange.insert(
        MatchingChange(
            changed_at=now,
            user_id=user_id,
            username=username,
            before=json.dumps(before.as_dict()),
            after=json.dumps(draft.as_dict()),
        )
    )
    return Matching(dict(draft.weights), draft.strong_threshold, draft.ask_gap, version)


async def recent_changes(limit: int = 20) -> list[dict[str, Any]]:
    rows = await MatchingChange.select().order_by(MatchingChange.id, ascending=False).limit(limit)
    for row in rows:
        row["before"], row["after"] = _loads(row["before"]), _loads(row["after"])
    return rows


__all__ = ["LABELS", "Matching", "SettingsError", "current_matching", "parse_draft", "save_matching"]
