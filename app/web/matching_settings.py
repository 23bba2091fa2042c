"""Tunable matching (/settings/matching): weights and thresholds, a live ranking preview, saving."""

from __future__ import annotations

from collections.abc import Mapping

from litestar import Request, Response, get, post
from litestar.types import ControllerRouterHandler

from app.correction.matching import (
    ASK_GAP_RANGE,
    STRONG_RANGE,
    WEIGHT_RANGE,
    Matching,
    SettingsError,
    current_matching,
    parse_draft,
    recent_changes,
)
from app.correction.rescore import ranking_preview, save_and_rescore
from app.correction.scoring import LABELS, WEIGHTS
from app.web.templating import render

PATH = "/settings/matching"


def _form_values(matching: Matching) -> dict[str, str]:
    values = {f"weight_{key}": str(weight) for key, weight in matching.weights.items()}
    values["strong_threshold"] = str(matching.strong_threshold)
    values["ask_gap"] = str(matching.ask_gap)
    return values


async def _context(values: dict[str, str], **extra: object) -> dict[str, object]:
    return {
        "values": values,
        "labels": LABELS,
        "defaults": WEIGHTS,
        "weight_range": WEIGHT_RANGE,
        "strong_range": STRONG_RANGE,
        "ask_gap_range": ASK_GAP_RANGE,
        "changes": await recent_changes(),
        "errors": {},
        **extra,
    }


def _values(form: Mapping[str, object]) -> dict[str, str]:
    names = [f"weight_{key}" for key in WEIGHTS] + ["strong_threshold", "ask_gap"]
    return {name: str(form.get(name, ""))[:20] for name in names}


@get(PATH, name="settings_matching")
async def matching_page(request: Request) -> Response[str]:
    current = await current_matching()
    return render(request, "settings_matching.html", await _context(_form_values(current), current=current))


@post(f"{PATH}/preview", name="settings_matching_preview")
async def matching_preview(request: Request) -> Response[str]:
    """The queue and the last 200 corrections re-scored under the draft: every album that would change."""
    form = await request.form()
    values = _values(form)
    current = await current_matching()
    try:
        draft = parse_draft(values)
    except SettingsError as exc:
        context = await _context(values, current=current, errors=exc.errors)
        return render(request, "settings_matching.html", context, block="ranking", status_code=400)
    preview = await ranking_preview(current, draft)
    context = await _context(values, current=current, draft=draft, preview=preview)
    return render(request, "settings_matching.html", context, block="ranking")


@post(PATH, name="settings_matching_save")
async def matching_save(request: Request) -> Response[str]:
    form = await request.form()
    values = _values(form)
    try:
        draft = parse_draft(values)
    except SettingsError as exc:
        context = await _context(values, current=await current_matching(), errors=exc.errors)
        return render(request, "settings_matching.html", context, status_code=400)
    user = request.scope["user"]
    saved, rescored = await save_and_rescore(draft, user_id=user.id, username=user.username)
    context = await _context(_form_values(saved), current=saved, saved=True, rescored=rescored)
    return render(request, "settings_matching.html", context)


ROUTES: list[ControllerRouterHandler] = [matching_page, matching_preview, matching_save]
