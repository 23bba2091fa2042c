"""The results table: every bench/results/*.json contributes its `table` rows, in a fixed order."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ORDER = (
    "pages-postgres",
    "pages-sqlite",
    "enrich",
    "limiter",
    "live",
    "sync",
    "scale",
    "scale-prune",
    "load",
    "fix-many",
)
MARK = {True: "✅ met", False: "❌ missed", None: ""}
# The top README's two tables, between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`: the rows that
# have a target, from these results (`make bench` fills "full", `make bench-scale` "scale").
SCALE = ("scale", "scale-prune", "load")
README_BLOCKS = {"full": lambda name: name not in SCALE, "scale": lambda name: name in SCALE}


def load(results: Path) -> list[dict[str, Any]]:
    found = {
        p.stem: json.loads(p.read_text())
        for p in sorted(results.glob("*.json"))
        if not p.stem.startswith("profile-")
    }
    return [found[n] for n in ORDER if n in found] + [v for k, v in found.items() if k not in ORDER]


def table(results: list[dict[str, Any]], *, targets_only: bool = False) -> str:
    lines = ["| Benchmark | Measured | Target | |", "|---|---|---|---|"]
    for result in results:
        for row in result.get("table", []):
            if targets_only and row["met"] is None:
                continue
            cells = [row["benchmark"], row["measured"], row["target"], MARK[row["met"]]]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def markdown(results: list[dict[str, Any]], analysis: Path | None = None) -> str:
    notes = [f"- **{r['name']}**: {r['note']}" for r in results if r.get("note")]
    when = max((r.get("generated_at", "") for r in results), default="")
    parts = [
        "# Benchmarks",
        "",
        f"`make bench` on the 2-core development machine (shared with other work), {when}.",
        "Every figure is a ratio of two things measured in the same run, interleaved request by request,",
        "so machine load hits both sides alike. The floor is a bare Litestar app (bench/floor.py) running",
        "the same SQL through the same driver and a minimal Jinja template or JSON.",
        "Raw figures: the JSON files beside this one.",
        "",
        table(results),
    ]
    if notes:
        parts += ["", "Notes:", "", *notes]
    if analysis and analysis.exists():  # written by hand from the profiles: why a target is missed
        parts += ["", analysis.read_text().strip()]
    return "\n".join(parts) + "\n"


def update_readme(readme: Path, results: list[dict[str, Any]]) -> None:
    """Rewrite the README's bench tables from the results (the text around them is left alone)."""
    text = readme.read_text()
    for block, wanted in README_BLOCKS.items():
        chosen = [r for r in results if wanted(r["name"])]
        pattern = re.compile(rf"(<!-- bench:{block} -->\n).*?(\n<!-- /bench:{block} -->)", re.S)
        if chosen and pattern.search(text):
            body = table(chosen, targets_only=True)
            text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    readme.write_text(text)


if __name__ == "__main__":  # `python -m bench.report`: the README's tables from bench/results/*.json
    root = Path(__file__).resolve().parent.parent
    update_readme(root / "README.md", load(root / "bench" / "results"))
