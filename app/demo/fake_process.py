"""The fake upstream as a subprocess (`python -m app.demo.fake_upstream`), driven over its control API."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import httpx

from app.demo.fake_upstream import DEMO_CREDENTIALS, URL_SETTINGS, Fault, LoggedRequest

REPO = Path(__file__).resolve().parent.parent.parent


class FakeUpstreamProcess:
    """Same script/reset/requests API as FakeUpstream, for a fake in another process."""

    def __init__(self, *, port: int = 0, root: Path | None = None, serve_images: bool = False) -> None:
        self.port = port
        self.root = root
        self.serve_images = serve_images
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 15.0) -> FakeUpstreamProcess:
        args = [sys.executable, "-m", "app.demo.fake_upstream", "--port", str(self.port)]
        if self.root:
            args += ["--root", str(self.root)]
        if self.serve_images:
            args.append("--serve-images")
        self._proc = subprocess.Popen(
            args, cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()  # the fake prints its URL once it listens
        if not line.startswith("FAKE_UPSTREAM_URL="):
            self.stop()
            raise RuntimeError(f"fake upstream did not start: {line!r}")
        self.url = line.split("=", 1)[1]
        self.port = int(self.url.rsplit(":", 1)[1])
        httpx.get(f"{self.url}/_fake/health", timeout=timeout).raise_for_status()
        return self

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout:
            self._proc.stdout.close()
        self._proc = None

    def __enter__(self) -> FakeUpstreamProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self, *, credentials: bool = True) -> dict[str, str]:
        return {**{n: self.url for n in URL_SETTINGS}, **(DEMO_CREDENTIALS if credentials else {})}

    def script(self, prefix: str, *faults: Fault, always: Fault | None = None) -> None:
        body = {
            "prefix": prefix,
            "faults": [dataclasses.asdict(f) for f in faults],
            "always": dataclasses.asdict(always) if always else None,
        }
        httpx.post(f"{self.url}/_fake/script", json=body, timeout=5).raise_for_status()

    def reset(self) -> None:
        httpx.post(f"{self.url}/_fake/reset", timeout=5).raise_for_status()

    def requests(self, service: str | None = None) -> list[LoggedRequest]:
        rows = httpx.get(f"{self.url}/_fake/log", timeout=5).json()
        return [LoggedRequest(**r) for r in rows if service is None or r["service"] == service]
