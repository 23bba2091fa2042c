"""The job tree page: levels with status counts, failures first, and "retry the failed branch"
whose new runs (and their log rows) join the same tree."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from tests.factories import manual_album
from tests.html_query import Page, html
from tests.jobs.harness import job_in, wait_until, worker_fixture

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
worker = worker_fixture("enrichment", "covers")


async def make(n: int, kind: str, status: str, root: uuid.UUID | None = None, **values: Any) -> uuid.UUID:
    job_id = uuid.uuid4()
    await Job(
        job_id=job_id,
        kind=kind,
        actor=kind,
        status=status,
        root_job_id=root or job_id,
        parent_job_id=root,
        created_at=T0 + dt.timedelta(minutes=n),
        started_at=T0 + dt.timedelta(minutes=n),
        finished_at=T0 + dt.timedelta(minutes=n, seconds=3),
        **values,
    ).save()
    return job_id


async def tree(*, album_id: str) -> dict[str, uuid.UUID]:
    root = await make(0, "sync_musicbrainz", "succeeded")
    ok = await make(1, "enrich_album", "succeeded", root, args=[str(uuid.uuid4())])
    kept = await make(2, "enrich_album", "failed", root, args=[album_id], error="boom")
    gone = await make(3, "enrich_album", "failed", root, args=[str(uuid.uuid4())], error="boom")
    return {"root": root, "ok": ok, "kept": kept, "gone": gone}


def node_ids(page: Page) -> list[str]:
    return [node["id"].removeprefix("tree-") for node in page.all("#job-tree li.tree-node")]


async def test_the_tree_page_counts_each_level_and_puts_failures_first(client: Any) -> None:
    album = await manual_album()
    ids = await tree(album_id=str(album.id))
    page = html(client.get(f"/jobs/{ids['ok']}/tree"))
    assert node_ids(page) == [str(ids[k]) for k in ("root", "kept", "gone", "ok")]
    levels = page.all("table.tree-levels tr.tree-level")
    assert len(levels) == 2
    pills = levels[1].all(".pill")
    assert [(pill.classes, pill.text) for pill in pills] == [
        (["pill", "failed"], "2 failed"),
        (["pill", "succeeded"], "1 succeeded"),
    ]
    assert page.texts("li.tree-node .tree-took") == ["3.0 s"] * 4  # durations
    retry = page.one(f'form[action="/jobs/{ids["ok"]}/tree/retry"] button.retry-branch')
    assert retry.text == "Retry the failed branch (2 runs)"
    assert client.get(f"/jobs/{uuid.uuid4()}/tree").status_code == 404


async def test_retry_the_failed_branch_joins_the_same_tree(client: Any, worker: Any, upstream: Any) -> None:
    album = await manual_album()
    ids = await tree(album_id=str(album.id))
    token = client.cookies.get("llama_csrf")
    answer = client.post(
        f"/jobs/{ids['root']}/tree/retry", data={"_csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    new = await Job.select().where(Job.retry_of.is_not_null()).output(load_json=True)
    assert sorted(str(r["retry_of"]) for r in new) == sorted([str(ids["kept"]), str(ids["gone"])])
    for row in new:
        assert (row["root_job_id"], row["parent_job_id"], row["username"]) == (
            ids["root"],
            ids["root"],
            "admin",
        )
    # nothing left to retry: a second press sends nothing more
    page = html(client.get(f"/jobs/{ids['root']}/tree"))
    live = page.one("section#job-tree")
    assert page.count("button.retry-branch, form[action$='/tree/retry']") == 0
    assert live.get("hx-trigger") == "every 2s, refresh" and live.has("data-live")
    worker.start()
    by_retry = {str(r["retry_of"]): r["job_id"] for r in new}
    gone = await wait_until(
        lambda: job_in(by_retry[str(ids["gone"])], "failed"), what="the deleted album's retry"
    )
    assert gone["error_code"] == "ALBUM_NOT_FOUND" and gone["retries"] == 0
    await wait_until(
        lambda: job_in(by_retry[str(ids["kept"])], "succeeded", "failed"), what="the album's retry"
    )
    rows = await LlamaLog.select(
        LlamaLog.job_id, LlamaLog.root_job_id, LlamaLog.category, LlamaLog.status
    ).where(LlamaLog.job_id.is_in([str(j) for j in by_retry.values()]))
    assert {str(r["job_id"]) for r in rows} == {str(j) for j in by_retry.values()}
    assert {str(r["root_job_id"]) for r in rows} == {str(ids["root"])}
    failed = [r for r in rows if str(r["job_id"]) == str(by_retry[str(ids["gone"])])]
    assert [(r["category"], r["status"]) for r in failed] == [("FAILED", "FAILED")]
    assert set(node_ids(html(client.get(f"/jobs/{ids['root']}/tree")))) >= {str(j) for j in by_retry.values()}
