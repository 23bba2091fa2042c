"""`llama audit`: provenance coverage, as a list of named set-based checks (one SQL count each).

Each check counts the rows that break one promise of the log and names a few; adding a check is one
more entry in CHECKS. Nothing here loops over log rows in Python: every check is one statement the
database plans (anti-joins on the indexed id columns, one bounded recursive walk for orphans).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from piccolo.querystring import QueryString

from app.db import engine, transaction
from app.llamalog.partitions import DEFAULT_PARTITION, is_partitioned

SAMPLES = 5
MAX_PARENT_STEPS = 10  # the importer's limit: a chain deeper than this is an orphan, never guessed


@dataclass(frozen=True)
class Check:
    """One promise: `where` picks the rows of `table` (alias t) that break it."""

    name: str
    title: str
    table: str
    where: str
    problem: bool = True  # False: shown for information, never fails the audit
    with_sql: str = ""  # a WITH clause the where refers to (engine-specific fragments filled)
    cause: str = ""  # one of the orphan walk's causes: counted with the others in one statement


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    count: int
    samples: list[int | str]
    problem: bool
    seconds: float


@dataclass(frozen=True)
class AuditReport:
    checks: list[CheckResult]

    @property
    def problems(self) -> int:
        return sum(c.count for c in self.checks if c.problem)

    def as_json(self) -> dict[str, object]:
        return {"problems": self.problems, "checks": [asdict(c) for c in self.checks]}


def _without_created(entity_type: str, table: str) -> Check:
    return Check(
        name=f"{table}_without_created",
        title=f"{table}s with no CREATED row",
        table=table,
        where=(
            "NOT EXISTS (SELECT 1 FROM llama_log l WHERE l.entity_type = "
            f"'{entity_type}' AND l.entity_id = t.id AND l.category = 'CREATED')"
        ),
    )


def _entity_gone(column: str, table: str, entity_type: str) -> Check:
    article = "an" if table[0] in "aeiou" else "a"
    return Check(
        name=f"{table}_gone",
        title=f"rows pointing at {article} {table} that is gone (no deletion on the record)",
        table="llama_log",
        where=(
            f"t.{column} IS NOT NULL AND t.import_key IS NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {table} e WHERE e.id = t.{column}) "
            f"AND NOT EXISTS (SELECT 1 FROM llama_log d WHERE d.entity_type = '{entity_type}' "
            f"AND d.entity_id = t.{column} AND d.operation LIKE '%:deleted:%')"
        ),
    )


# Orphans: rows with no root. Their walk up the parent links (from the row's job, or its parent when
# it has no job id of its own) ends in a loop, runs deeper than the limit, or was never tried. The walk
# starts from the orphans only and finds each parent by the job_id index (UNION drops the repeats a
# job's several rows give), so its cost follows the orphans, not the log; the three causes are
# counted by one statement over one walk (ORPHAN_CAUSES), not one walk each.
_WALK = (
    "WITH RECURSIVE walk(seed, cur, depth, path, looped) AS ("
    "  SELECT DISTINCT COALESCE(job_id, parent_job_id), COALESCE(job_id, parent_job_id), 0, "
    "    {text_seed}, 0 FROM llama_log "
    "    WHERE root_job_id IS NULL AND COALESCE(job_id, parent_job_id) IS NOT NULL "
    "  UNION "
    "  SELECT w.seed, e.parent_job_id, w.depth + 1, w.path || ',' || {text_parent}, "
    "    CASE WHEN {found} THEN 1 ELSE 0 END "
    "  FROM walk w JOIN llama_log e ON e.job_id = w.cur AND e.parent_job_id IS NOT NULL "
    f"  WHERE w.looped = 0 AND w.depth <= {MAX_PARENT_STEPS}), "
    "causes AS (SELECT seed, MAX(looped) AS looped, MAX(depth) AS depth FROM walk GROUP BY seed) "
)
_SEED = "COALESCE(t.job_id, t.parent_job_id)"

# A row whose root is not its parent's: a row of the parent job carries another root. Set-based, as
# two scans of the log the database can hash-join (a semi-join on the parent's job id), never a probe
# per row: under an OR the same EXISTS stays a subplan run once per row, on every partition's index.
# The root rows that are not their own root come from one plain scan; UNION keeps a row that breaks
# both promises once.
_ROOT_MISMATCH = (
    "WITH root_mismatch AS ("
    "  SELECT r.id FROM llama_log r WHERE r.is_root_job = {true} "
    "    AND (r.root_job_id IS NULL OR r.root_job_id <> r.job_id) "
    "  UNION "
    "  SELECT c.id FROM llama_log c WHERE c.root_job_id IS NOT NULL AND c.parent_job_id IS NOT NULL "
    "    AND EXISTS (SELECT 1 FROM llama_log p WHERE p.job_id = c.parent_job_id "
    "      AND p.root_job_id IS NOT NULL AND p.root_job_id <> c.root_job_id)) "
)

CHECKS: list[Check] = [
    _without_created("ALBUM", "album"),
    _without_created("ARTIST", "artist"),
    _without_created("TRACK", "track"),
    Check(
        name="parent_missing",
        title="rows whose parent job is nowhere (no log row, no job run)",
        table="llama_log",
        where=(
            "t.parent_job_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM llama_log p WHERE p.job_id = t.parent_job_id) "
            "AND NOT EXISTS (SELECT 1 FROM job j WHERE j.job_id = t.parent_job_id)"
        ),
    ),
    Check(
        name="root_mismatch",
        title="rows whose root is not their parent's root (or a root row not its own root)",
        table="root_mismatch",
        with_sql=_ROOT_MISMATCH,
        where="TRUE",
    ),
    Check(
        name="orphan_no_job_id",
        title="orphans: no job id and no parent at all",
        table="llama_log",
        where="t.root_job_id IS NULL AND t.job_id IS NULL AND t.parent_job_id IS NULL",
    ),
    Check(
        name="orphan_parent_loop",
        title="orphans: their parent links run in a loop",
        table="llama_log",
        with_sql=_WALK,
        cause="loop",
        where=f"t.root_job_id IS NULL AND {_SEED} IN (SELECT seed FROM causes WHERE looped = 1)",
    ),
    Check(
        name="orphan_too_deep",
        title=f"orphans: deeper than {MAX_PARENT_STEPS} parent links",
        table="llama_log",
        with_sql=_WALK,
        cause="too_deep",
        where=(
            f"t.root_job_id IS NULL AND {_SEED} IN "
            f"(SELECT seed FROM causes WHERE looped = 0 AND depth > {MAX_PARENT_STEPS})"
        ),
    ),
    Check(
        name="orphan_root_unset",
        title="orphans: the parent links end at a root, but the row does not store it",
        table="llama_log",
        with_sql=_WALK,
        cause="root_unset",
        where=(
            f"t.root_job_id IS NULL AND {_SEED} IN "
            f"(SELECT seed FROM causes WHERE looped = 0 AND depth <= {MAX_PARENT_STEPS})"
        ),
    ),
    _entity_gone("album_id", "album", "ALBUM"),
    _entity_gone("artist_id", "artist", "ARTIST"),
    _entity_gone("track_id", "track", "TRACK"),
    Check(
        name="imported_not_in_catalog",
        title="imported rows about entities not in this catalog (no --entity-map entry): reachable by id",
        table="llama_log",
        problem=False,
        where=(
            "t.import_key IS NOT NULL AND t.album_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM album e WHERE e.id = t.album_id)"
        ),
    ),
]


def _filled(text: str) -> str:
    postgres = engine().engine_type == "postgres"
    fragments = {
        "{text_seed}": "CAST(COALESCE(job_id, parent_job_id) AS TEXT)"
        if postgres
        else "COALESCE(job_id, parent_job_id)",
        "{text_parent}": "CAST(e.parent_job_id AS TEXT)" if postgres else "e.parent_job_id",
        "{found}": "position(CAST(e.parent_job_id AS TEXT) in w.path) > 0"
        if postgres
        else "instr(w.path, e.parent_job_id) > 0",
        "{true}": "TRUE" if postgres else "1",
    }
    for key, value in fragments.items():
        text = text.replace(key, value)
    return text


def _sql(check: Check, select: str, tail: str = "") -> str:
    return _filled(f"{check.with_sql}SELECT {select} FROM {check.table} t WHERE {check.where}{tail}")


# Every orphan of the walk with its cause, counted and sampled per cause in one statement.
_CAUSES_SQL = (
    _WALK + ", hits AS (SELECT t.id, CASE WHEN c.looped = 1 THEN 'loop' "
    f"  WHEN c.depth > {MAX_PARENT_STEPS} THEN 'too_deep' ELSE 'root_unset' END AS cause "
    f"  FROM llama_log t JOIN causes c ON c.seed = {_SEED} WHERE t.root_job_id IS NULL), "
    "ranked AS (SELECT cause, id, COUNT(*) OVER (PARTITION BY cause) AS n, "
    "  ROW_NUMBER() OVER (PARTITION BY cause ORDER BY id) AS rn FROM hits) "
    f"SELECT cause, id, n FROM ranked WHERE rn <= {SAMPLES} ORDER BY cause, id"
)


def _sample(value: object) -> int | str:
    return value if isinstance(value, int) else str(value)


async def run_causes(checks: list[Check]) -> dict[str, CheckResult]:
    """The orphan checks (those with a cause), all from one walk: their results by check name."""
    started = time.perf_counter()
    rows = await engine().run_querystring(QueryString(_filled(_CAUSES_SQL)))
    seconds = round(time.perf_counter() - started, 3)
    counts: dict[str, int] = {}
    samples: dict[str, list[int | str]] = {}
    for row in rows:
        counts[row["cause"]] = int(row["n"])
        samples.setdefault(row["cause"], []).append(_sample(row["id"]))
    return {
        c.name: CheckResult(
            name=c.name,
            title=c.title,
            count=counts.get(c.cause, 0),
            samples=samples.get(c.cause, []),
            problem=c.problem,
            seconds=seconds,
        )
        for c in checks
        if c.cause
    }


async def run_check(check: Check) -> CheckResult:
    if check.cause:
        return (await run_causes([check]))[check.name]
    started = time.perf_counter()
    db = engine()
    (row,) = await db.run_querystring(QueryString(_sql(check, "COUNT(*) AS n")))
    count = int(row["n"])
    samples: list[int | str] = []
    if count:
        rows = await db.run_querystring(QueryString(_sql(check, "t.id", f" ORDER BY t.id LIMIT {SAMPLES}")))
        samples = [_sample(r["id"]) for r in rows]
    return CheckResult(
        name=check.name,
        title=check.title,
        count=count,
        samples=samples,
        problem=check.problem,
        seconds=round(time.perf_counter() - started, 3),
    )


# Postgres with monthly partitions: rows no month partition takes (dated far past or future) wait in
# the default partition; they are kept, and move when the scheduler creates their month.
STRAYS = Check(
    name="default_partition",
    title="log rows in the default partition (dated outside every month partition)",
    table=DEFAULT_PARTITION,
    where="TRUE",
)


async def audit(checks: list[Check] | None = None) -> AuditReport:
    """Every check, in order (with the default partition's on a partitioned log)."""
    if checks is None:
        checks = [*CHECKS, STRAYS] if await is_partitioned() else CHECKS
    if engine().engine_type != "postgres":
        return await _run(checks)
    async with transaction():
        # Postgres JIT-compiles each of these statements (their cost is that of a scan of the whole
        # log) for every partition it touches: seconds of compiling for a second of work. Measured at
        # 1,000,000 rows in 12 months: root_mismatch 4.0 s with JIT, 1.3 s without.
        await engine().run_ddl("SET LOCAL jit = off")
        return await _run(checks)


async def _run(checks: list[Check]) -> AuditReport:
    walked = await run_causes(checks) if any(c.cause for c in checks) else {}
    return AuditReport(checks=[walked.get(c.name) or await run_check(c) for c in checks])


def report_lines(report: AuditReport) -> list[str]:
    """The audit as lines a person reads: each check, its count, a few of the rows it found."""
    lines = []
    for c in report.checks:
        mark = "ok  " if c.count == 0 else ("FAIL" if c.problem else "info")
        sample = f"  e.g. {', '.join(str(s) for s in c.samples)}" if c.samples else ""
        lines.append(f"{mark} {c.name:<26} {c.count:>9}  {c.title}{sample}")
    lines.append(f"problems: {report.problems}")
    return lines
