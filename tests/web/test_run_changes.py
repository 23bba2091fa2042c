"""/jobs/{job_id}/changes: what a run changed, and its revert as a job started there."""

from __future__ import annotations

import uuid
from typing import Any

from app.catalog.tables import Album
from tests.correction.test_run_revert import _sync
from tests.html_query import html
from tests.jobs.harness import job_in, wait_until, worker_fixture

worker = worker_fixture("sync", "enrichment", "covers", "fix")


async def test_the_changes_page_lists_the_run_and_its_revert_undoes_it(
    upstream: Any, worker: Any, client: Any
) -> None:
    run_id = await _sync(worker)
    changes = html(client.get(f"/jobs/{run_id}/changes"))
    created = [row["data-album"] for row in changes.all("tr.run-album[data-created=yes]")]
    assert len(created) == await Album.count() > 0
    assert changes.text_of(f'form[action="/jobs/{run_id}/revert"] button') == "Revert this whole run"
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    response = client.post(f"/jobs/{run_id}/revert", data=token, follow_redirects=False)
    assert response.status_code == 303
    revert_id = response.headers["location"].split("/")[2]
    await worker.drain()
    await wait_until(lambda: job_in(revert_id, "succeeded"), what="revert")
    page = html(client.get(response.headers["location"]))
    summary = page.text("#run-status p.revert-summary")
    assert f": {len(created)} albums removed (" in summary and summary.endswith(" 0 conflicts.")
    assert await Album.count() == 0
    # The revert's own page lists what it removed and offers no revert of the revert.
    assert page.count("form[action$='/revert']") == 0
    assert page.text(".run-changes p.muted").startswith("A revert is not reverted in turn")
    again = client.post(f"/jobs/{revert_id}/revert", data=token, follow_redirects=False)
    assert again.status_code == 409
    assert html(again).text(".error-page p.error").startswith("A revert is not reverted in turn")


def test_an_unknown_run_is_a_404(client: Any) -> None:
    missing = uuid.uuid4()
    assert client.get(f"/jobs/{missing}/changes").status_code == 404
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    assert client.post(f"/jobs/{missing}/revert", data=token).status_code == 404
