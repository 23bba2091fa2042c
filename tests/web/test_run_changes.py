"""/jobs/{job_id}/changes: what a run changed, and its revert as a job started there."""

from __future__ import annotations

import re
import uuid
from typing import Any

from app.catalog.tables import Album
from tests.correction.test_run_revert import _sync
from tests.jobs.harness import job_in, wait_until, worker_fixture

worker = worker_fixture("sync", "enrichment", "covers", "fix")


async def test_the_changes_page_lists_the_run_and_its_revert_undoes_it(
    upstream: Any, worker: Any, client: Any
) -> None:
    run_id = await _sync(worker)
    html = client.get(f"/jobs/{run_id}/changes").text
    created = re.findall(r'<tr class="run-album" data-album="([0-9a-f-]{36})" data-created="yes">', html)
    assert len(created) == await Album.count() > 0
    assert "Revert this whole run" in html
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    response = client.post(f"/jobs/{run_id}/revert", data=token, follow_redirects=False)
    assert response.status_code == 303
    revert_id = response.headers["location"].split("/")[2]
    await worker.drain()
    await wait_until(lambda: job_in(revert_id, "succeeded"), what="revert")
    page = client.get(response.headers["location"]).text
    assert f"<b>{len(created)}</b> albums removed" in page and "<b>0</b> conflicts" in page
    assert await Album.count() == 0
    # The revert's own page lists what it removed and offers no revert of the revert.
    assert "Revert this whole run" not in page and "is not reverted in turn" in page
    again = client.post(f"/jobs/{revert_id}/revert", data=token, follow_redirects=False)
    assert again.status_code == 409 and "is not reverted in turn" in again.text


def test_an_unknown_run_is_a_404(client: Any) -> None:
    missing = uuid.uuid4()
    assert client.get(f"/jobs/{missing}/changes").status_code == 404
    token = {"_csrf_token": client.cookies.get("llama_csrf") or ""}
    assert client.post(f"/jobs/{missing}/revert", data=token).status_code == 404
