"""Settings from the environment: one dataclass, built once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    redis_namespace: str
    # Seconds without a heartbeat before a worker counts as dead: its messages are delivered again
    # and its jobs shown as stalled (README, "Stalled jobs and redelivery").
    worker_heartbeat_timeout: float
    # The niceness `llama worker` runs at (0-19; default 10): on a machine it shares with the server,
    # the pages admins are waiting for get the CPU before the background jobs (README, Production).
    worker_nice: int
    # `llama import-log` on Postgres stages a source of this many rows or more with one process per
    # core (app/llamalog/legacy_shards.py); 0 always, a huge number never.
    import_shard_min_rows: int
    secret_key: str
    host: str
    port: int
    musicbrainz_url: str
    coverart_url: str
    spotify_api_url: str
    spotify_accounts_url: str
    discogs_url: str
    spotify_client_id: str
    spotify_client_secret: str
    discogs_token: str
    musicbrainz_contact: str
    musicbrainz_rate: float
    http_timeout: float
    http_attempts: int
    http_backoff: float
    http_max_retry_after: float
    spotify_sync_cron: str
    musicbrainz_sync_cron: str
    # Partitions ahead + retention prune of the log (app/jobs/log_maintenance.py), daily by default.
    log_maintenance_cron: str
    fix_queue_cron: str
    scheduler_enabled: bool
    embedded_worker: bool
    console_log: bool
    session_cache_seconds: float

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return ROOT / "var" / "llama.sqlite3"

    @property
    def embedded(self) -> bool:
        """No Redis: in-process broker, worker threads and scheduler inside `llama serve`."""
        return not self.redis_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ.get
    return Settings(
        database_url=env("DATABASE_URL", ""),
        redis_url=env("REDIS_URL", ""),
        redis_namespace=env("REDIS_NAMESPACE", "llamalog"),
        worker_heartbeat_timeout=max(1.0, _float("WORKER_HEARTBEAT_TIMEOUT", 60.0)),
        worker_nice=min(19, max(0, int(_float("WORKER_NICE", 10)))),
        import_shard_min_rows=max(0, int(_float("IMPORT_SHARD_MIN_ROWS", 200_000))),
        secret_key=env("SECRET_KEY", "llamalog-dev-secret-change-me-in-production"),
        host=env("HOST", "127.0.0.1"),
        port=int(env("PORT", "8000")),
        musicbrainz_url=env("MUSICBRAINZ_URL", "https://musicbrainz.org").rstrip("/"),
        coverart_url=env("COVERART_URL", "https://coverartarchive.org").rstrip("/"),
        spotify_api_url=env("SPOTIFY_API_URL", "https://api.spotify.com").rstrip("/"),
        spotify_accounts_url=env("SPOTIFY_ACCOUNTS_URL", "https://accounts.spotify.com").rstrip("/"),
        discogs_url=env("DISCOGS_URL", "https://api.discogs.com").rstrip("/"),
        spotify_client_id=env("SPOTIFY_CLIENT_ID", ""),
        spotify_client_secret=env("SPOTIFY_CLIENT_SECRET", ""),
        discogs_token=env("DISCOGS_TOKEN", ""),
        musicbrainz_contact=env("MUSICBRAINZ_CONTACT", "admin@example.org"),
        musicbrainz_rate=_float("MUSICBRAINZ_RATE", 1.0),
        http_timeout=_float("HTTP_TIMEOUT", 10.0),
        http_attempts=int(_float("HTTP_ATTEMPTS", 3)),
        http_backoff=_float("HTTP_BACKOFF", 0.5),
        http_max_retry_after=_float("HTTP_MAX_RETRY_AFTER", 30.0),
        spotify_sync_cron=env("SPOTIFY_SYNC_CRON", "0 */6 * * *"),
        musicbrainz_sync_cron=env("MUSICBRAINZ_SYNC_CRON", "30 3 * * *"),
        log_maintenance_cron=env("LOG_MAINTENANCE_CRON", "15 4 * * *"),
        # Candidates found ahead for the fix queue: only albums new or changed since the last round.
        fix_queue_cron=env("FIX_QUEUE_CRON", "45 * * * *"),
        scheduler_enabled=env("SCHEDULER_ENABLED", "1") not in ("0", "false", "no"),
        # Embedded mode only: 0 keeps worker threads and the scheduler out of `llama serve` (tests).
        embedded_worker=env("EMBEDDED_WORKER", "1") not in ("0", "false", "no"),
        console_log=env("LLAMALOG_CONSOLE", "1") not in ("0", "false", "no"),
        session_cache_seconds=_float("SESSION_CACHE_SECONDS", 2.0),
    )
