"""A local fake of MusicBrainz, Cover Art Archive, Spotify (API + accounts) and Discogs.

One HTTP server on 127.0.0.1 answers for all five base URLs, routing by path prefix, with recorded
payloads from app/demo/upstream/. Tests script faults per path and read the request log:

    with FakeUpstream() as fake:                        # in-process, free port
        fake.script("/ws/2/release/", Fault(status=503), Fault(status=429, retry_after="1"))
        settings = fake.settings(musicbrainz_rate=0)
        ...
        fake.requests("musicbrainz")                     # [LoggedRequest(...), ...]

    python -m app.demo.fake_upstream --port 8765        # a subprocess (--serve-images for the demo:
                                                        # cover URLs point at the fake, which draws them)
    # control it over HTTP:
    POST /_fake/script {"prefix": "/v1/", "faults": [{"status": 503}], "always": false}
    GET /_fake/log      POST /_fake/reset      GET /_fake/health
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import socket
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.demo import fake_coverart, fake_discogs, fake_musicbrainz, fake_spotify
from app.demo.payloads import ROOT, Answer, Payloads, as_json
from app.demo.placeholder import cover_png

SERVICES = ("musicbrainz", "coverartarchive", "spotify", "spotify-accounts", "discogs")
IMAGE_HOSTS = ("http://coverartarchive.org", "https://i.scdn.co")
IMAGE_SUFFIXES = (".jpg", ".png", ".gif")
URL_SETTINGS = ("MUSICBRAINZ_URL", "COVERART_URL", "SPOTIFY_API_URL", "SPOTIFY_ACCOUNTS_URL", "DISCOGS_URL")
DEMO_CREDENTIALS = {
    "SPOTIFY_CLIENT_ID": "llamalog-demo-client",
    "SPOTIFY_CLIENT_SECRET": "llamalog-demo-secret",
    "DISCOGS_TOKEN": "llamalog-demo-token",
}


@dataclass(frozen=True)
class Fault:
    """One scripted answer. `delay` runs first; then `status` (not 200) or a broken `body` replaces it.

    body: "truncated" (the real body cut in half, Content-Length to match), "malformed" (an HTML
    page where JSON should be), "wrong_shape" (valid JSON of the wrong shape). `status=200` and no
    body is a pass-through (script [503, Fault()] to fail once, then answer).
    """

    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    body: str | None = None

    @property
    def label(self) -> str:
        parts = [f"delay {self.delay}s"] if self.delay else []
        if self.status != 200:
            parts.append(str(self.status) + (f" Retry-After {self.retry_after}" if self.retry_after else ""))
        if self.body:
            parts.append(self.body)
        return ", ".join(parts) or "pass"


@dataclass(frozen=True)
class LoggedRequest:
    at: float  # wall-clock time the request reached the socket (kernel stamp on Linux)
    monotonic: float  # the same moment on this process's monotonic clock
    method: str
    path: str
    query: str
    service: str
    status: int
    fault: str | None = None
    user_agent: str = ""
    authorization: str = ""


def service_of(path: str) -> str:
    if path.startswith("/ws/2/"):
        return "musicbrainz"
    if path.startswith(("/releases/", "/masters/", "/database/")):
        return "discogs"
    if path.startswith(("/release/", "/release-group/")):
        return "coverartarchive"
    if path.startswith("/v1/"):
        return "spotify"
    if path.startswith("/api/token"):
        return "spotify-accounts"
    return "unknown"


class FakeUpstream:
    """The fake, startable in a thread (`start()`/`stop()` or `with`) or as a subprocess (`main`)."""

    def __init__(
        self, root: Path = ROOT, *, host: str = "127.0.0.1", port: int = 0, serve_images: bool = False
    ) -> None:
        self.payloads = Payloads(root)
        self.host, self.port = host, port
        # The demo runs offline: image URLs in answers then point here, and the fake draws the covers.
        self.serve_images = serve_images
        self._lock = threading.Lock()
        self._scripts: list[tuple[str, deque[Fault], Fault | None]] = []
        self._log: list[LoggedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeUpstream:
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer((self.host, self.port), handler, bind_and_activate=False)
        if SO_TIMESTAMP is not None:
            # Set on the listening socket, so a request sent before accept() is stamped too.
            self._server.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        self._server.server_bind()
        self._server.server_activate()
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-upstream", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self, *, credentials: bool = True) -> dict[str, str]:
        """Environment pointing every source at this fake (plus demo credentials)."""
        return {**{name: self.url for name in URL_SETTINGS}, **(DEMO_CREDENTIALS if credentials else {})}

    def settings(self, base: Any = None, *, credentials: bool = True, **overrides: Any) -> Any:
        """Settings (the current ones, or `base`) with every source pointed at this fake."""
        from app.config import get_settings

        values: dict[str, Any] = {
            "musicbrainz_url": self.url,
            "coverart_url": self.url,
            "spotify_api_url": self.url,
            "spotify_accounts_url": self.url,
            "discogs_url": self.url,
        }
        if credentials:
            values.update(
                spotify_client_id=DEMO_CREDENTIALS["SPOTIFY_CLIENT_ID"],
                spotify_client_secret=DEMO_CREDENTIALS["SPOTIFY_CLIENT_SECRET"],
                discogs_token=DEMO_CREDENTIALS["DISCOGS_TOKEN"],
            )
        return dataclasses.replace(base or get_settings(), **{**values, **overrides})

    # --- faults and the log --------------------------------------------------------------------

    def script(self, prefix: str, *faults: Fault, always: Fault | None = None) -> None:
        """Requests whose path starts with `prefix` get `faults` in order, then `always` (if given)."""
        with self._lock:
            self._scripts.append((prefix, deque(faults), always))

    def reset(self) -> None:
        """Forget scripts and the request log."""
        with self._lock:
            self._scripts.clear()
            self._log.clear()

    def requests(self, service: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self._log if service is None or r.service == service]

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            for prefix, queue, always in self._scripts:
                if path.startswith(prefix):
                    if queue:
                        return queue.popleft()
                    if always is not None:
                        return always
            return None

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    # --- answering -----------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
        """The recorded (or derived) answer for one request, faults aside."""
        if self.serve_images:
            if path.startswith("/image/") or (path.startswith("/release/") and path.endswith(IMAGE_SUFFIXES)):
                return Answer(200, cover_png(path), "image/png")
            answer = self._answer(method, path, query, headers)
            for host in IMAGE_HOSTS:
                answer.body = answer.body.replace(host.encode(), self.url.encode())
            return answer
        return self._answer(method, path, query, headers)

    def _answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
        service = service_of(path)
        p = self.payloads
        if service == "musicbrainz":
            return fake_musicbrainz.musicbrainz(p, path, query)
        if service == "coverartarchive":
            return fake_coverart.coverart(p, path)
        if service == "spotify":
            return fake_spotify.api(p, path, query, headers)
        if service == "spotify-accounts":
            return fake_spotify.accounts(p, method, path, headers)
        if service == "discogs":
            return fake_discogs.discogs(p, path, query)
        return as_json({"error": "no such fake route", "path": path}, 404)

    def control(self, method: str, path: str, body: bytes) -> Answer:
        if path == "/_fake/health":
            return as_json({"ok": True, "services": SERVICES})
        if path == "/_fake/log":
            return as_json([dataclasses.asdict(r) for r in self.requests()])
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return as_json({"ok": True})
        if path == "/_fake/script" and method == "POST":
            data = json.loads(body or b"{}")
            faults = [Fault(**f) for f in data.get("faults", [])]
            always = Fault(**data["always"]) if data.get("always") else None
            self.script(data["prefix"], *faults, always=always)
            return as_json({"ok": True})
        return as_json({"error": "unknown control path"}, 404)


def _broken(answer: Answer, fault: Fault) -> Answer:
    if fault.status != 200:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        body = json.dumps({"error": f"fake fault {fault.status}"}).encode()
        return Answer(fault.status, body, headers=headers)
    if fault.body == "truncated":
        return Answer(200, answer.body[: max(1, len(answer.body) // 2)])
    if fault.body == "malformed":
        return Answer(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
    if fault.body == "wrong_shape":
        return Answer(200, b'{"unexpected": ["shape"], "releases": 7}')
    return answer


# Linux stamps each received packet when asked (SO_TIMESTAMP): the log then shows when a request
# reached the machine, not when a busy handler thread got round to it.
SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29 if sys.platform.startswith("linux") else None)


def _kernel_arrival(sock: socket.socket) -> float | None:
    """Wall-clock time the next waiting request reached the socket (blocks until one does)."""
    try:
        data, ancillary, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except (OSError, ValueError):
        return None
    for level, kind, payload in ancillary:
        if data and level == socket.SOL_SOCKET and kind == SO_TIMESTAMP and len(payload) >= 16:
            seconds, micros = struct.unpack("qq", payload[:16])
            return seconds + micros / 1e6
    return None


def _handler_for(fake: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "LlamaLogFakeUpstream/1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the fake keeps its own log
            return None

        _arrived: float | None = None

        def handle_one_request(self) -> None:
            self._arrived = _kernel_arrival(self.connection) if SO_TIMESTAMP is not None else None
            super().handle_one_request()

        def _serve(self) -> None:
            now = time.time()
            arrived = self._arrived if self._arrived is not None and self._arrived <= now else now
            mono = time.monotonic() - (now - arrived)
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if parts.path.startswith("/_fake/"):
                self._send(fake.control(self.command, parts.path, body))
                return
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            fault = fake._next_fault(parts.path)
            answer = fake.answer(self.command, parts.path, query, headers)
            if fault is not None:
                answer = _broken(answer, fault)
            fake._record(
                LoggedRequest(
                    at=arrived,
                    monotonic=mono,
                    method=self.command,
                    path=parts.path,
                    query=parts.query,
                    service=service_of(parts.path),
                    status=answer.status,
                    fault=fault.label if fault else None,
                    user_agent=headers.get("user-agent", ""),
                    authorization=headers.get("authorization", ""),
                )
            )
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            self._send(answer)

        def _send(self, answer: Answer) -> None:
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (a timeout test): nothing to answer to.
                self.close_connection = True

        do_GET = do_POST = _serve

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="LlamaLog's fake upstream services")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--root", type=Path, default=ROOT, help="payload folder")
    parser.add_argument("--serve-images", action="store_true", help="point image URLs here and draw covers")
    args = parser.parse_args(argv)
    fake = FakeUpstream(args.root, host=args.host, port=args.port, serve_images=args.serve_images).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"FAKE_UPSTREAM_URL={fake.url}", flush=True)
    stop.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
