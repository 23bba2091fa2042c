"""`llama scheduler` as a process of its own (Redis mode): says what it will send, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from app.config import ROOT, get_settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not get_settings().redis_url, reason="needs Redis (LLAMA_TEST_DB=postgres)"),
]


def test_llama_scheduler_starts_and_stops() -> None:
    env = dict(os.environ, SPOTIFY_SYNC_CRON="15 4 * * *", MUSICBRAINZ_SYNC_CRON="bad")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, lines + [rest]
    assert lines[0].startswith("🦙 scheduler: spotify: 15 4 * * * (UTC) → sync_spotify")
    assert "next at " in lines[0] and "T04:15:00+00:00" in lines[0]
    assert "musicbrainz: 'bad' is not a valid cron expression" in lines[1]
    assert "scheduler: stopped" in rest
