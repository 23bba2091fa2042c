"""`llama serve --workers N`: several processes on one port stay one site: a logout is seen by every
process at once, failed logins count across processes (Redis), and embedded mode refuses N > 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.auth.users import create_admin
from app.config import ROOT
from tests.live_app import free_port

PASSWORD = "workers-pass-123"


def test_several_processes_need_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--workers > 1 needs REDIS_URL" in done.stderr


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@contextmanager
def served(tmp: Path, workers: int) -> Iterator[str]:
    port = free_port()
    log_path = tmp / "serve.log"
    env = {**os.environ, "SCHEDULER_ENABLED": "0", "LLAMALOG_CONSOLE": "0", "SESSION_CACHE_SECONDS": "30"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while len(_children(proc.pid)) < workers or not _answers(url):
            assert proc.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, log_path.read_text()[-2000:]
            time.sleep(0.2)
        time.sleep(1.0)  # every process past its startup hooks (following logouts)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    client.get("/login")
    data = {"username": username, "password": password, "_csrf_token": client.cookies["llama_csrf"]}
    return client.post("/login", data=data)


@pytest.mark.slow
async def test_two_processes_share_logouts_and_the_login_throttle(tmp_path: Path) -> None:
    if not os.environ.get("REDIS_URL"):
        pytest.skip("several server processes need Redis (the Postgres + Redis test run)")
    await create_admin("twice", PASSWORD)
    await create_admin("target", PASSWORD)
    with served(tmp_path, 2) as url:
        # New connections each time: the kernel spreads them over both processes.
        client = httpx.Client(base_url=url, timeout=30)
        assert _login(client, "twice", PASSWORD).status_code == 303
        cookies = dict(client.cookies)
        for _ in range(30):  # warm the session cache of both processes (30 s cache)
            assert httpx.get(f"{url}/", cookies=cookies, timeout=30).status_code == 200
        csrf = {"_csrf_token": client.cookies["llama_csrf"]}
        assert client.post("/logout", data=csrf).status_code in (302, 303)
        time.sleep(0.2)
        refused = [httpx.get(f"{url}/", cookies=cookies, timeout=30).status_code for _ in range(30)]
        assert refused == [303] * 30, refused

        # Five failures spread over both processes throttle the account in every process.
        for _ in range(5):
            with httpx.Client(base_url=url, timeout=30) as fresh:
                assert _login(fresh, "target", "wrong-password").status_code == 400
        for _ in range(4):
            with httpx.Client(base_url=url, timeout=30) as fresh:
                assert _login(fresh, "target", PASSWORD).status_code == 429
        client.close()


async def test_connections_of_a_socket_bound_as_uvicorn_workers_bind_it_send_without_delay() -> None:
    """uvicorn's --workers socket has proto 0, so asyncio leaves Nagle on for its connections (a 44 ms
    stall per keep-alive request); the protocol `llama serve` runs turns it off."""
    import asyncio
    import socket

    from app.web.http_protocol import send_without_delay

    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn's Config.bind_socket
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    accepted: asyncio.Queue[asyncio.BaseTransport] = asyncio.Queue()

    class Keep(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.put_nowait(transport)

    server = await asyncio.get_running_loop().create_server(Keep, sock=listening)
    try:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        transport = await asyncio.wait_for(accepted.get(), 5)
        sock = transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # what asyncio left
        send_without_delay(transport)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        writer.close()
        transport.close()
    finally:
        server.close()
        await server.wait_closed()


def test_llama_serve_runs_the_protocol_without_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from app import cli
    from app.web.http_protocol import NoDelayH11Protocol

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    assert cli.main(["serve", "--port", "0"]) == 0
    assert seen["http"] is NoDelayH11Protocol
