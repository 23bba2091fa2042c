"""Schemathesis against /schema with a logged-in session: no operation answers 5xx.

Every operation in the app's OpenAPI document gets `EXAMPLES` generated requests (positive and
negative data) carrying a fresh session and the CSRF header, so POST handlers are fuzzed past the
CSRF check. Schemathesis' pytest plugin does not run on pytest 9, so its Python API drives
Hypothesis here directly. Few examples per operation keep it under two minutes in CI.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from app.auth.users import login
from tests.factories import manual_album, tracklist
from tests.security.conftest import PASSWORD, headers_for, site_cookies

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
EXAMPLES = 6


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], found: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(headers=headers, timeout=30, allow_redirects=False)
        if response.status_code >= 500:
            found.append(f"{operation.label} -> {response.status_code}: {case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:  # nothing in the operation can be made invalid (e.g. no parameters)
        assert mode == GenerationMode.NEGATIVE, operation.label


async def test_no_operation_answers_5xx(live_url: str, session_cookies: dict[str, str]) -> None:
    await manual_album(title="Fuzzed <script>alert(1)</script>", tracks=tracklist(3))
    cookie = {"Cookie": f"id={session_cookies['id']}"}
    assert httpx.get(f"{live_url}/schema/openapi.json", headers=cookie).status_code == 200
    schema = schemathesis.openapi.from_url(f"{live_url}/schema/openapi.json", headers=cookie)
    # Event streams answer for minutes by design (a heartbeat every 15 s keeps the read alive), so a
    # generated request would wait out the stream; their filters are the /logs parser fuzzed on /logs
    # and /api/logs, and tests/web/test_logs_stream.py covers the streams themselves.
    everything = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in everything if not op.path.endswith("/stream")]
    assert len(operations) >= 4, [op.label for op in operations]
    found: list[str] = []
    for operation in operations:
        # A fresh session per operation: fuzzing POST /logout must not log the others out.
        token = await login("fuzzer", PASSWORD, "security-tests")
        headers = headers_for(await site_cookies(live_url, token))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            await asyncio.to_thread(_fuzz, operation, mode, headers, found)
    assert not found, "\n".join(found)
