"""Upstream sources: httpx clients that return typed records (records.py), never raw JSON.

- clients.py: the process's clients, built once: `musicbrainz()`, `coverart()`, `spotify()`, `discogs()`,
  `statuses()` (enabled or disabled, and why).
- musicbrainz.py, coverart.py, spotify.py, discogs.py: one client per service.
- http.py: the one request path: `counting_calls()` (api_call_count), retries with Retry-After and
  jittered backoff, failures as the typed errors of errors.py.
- ratelimit.py: the MusicBrainz limiter shared by threads (embedded) or processes (Redis).
- parsing.py: readers for upstream JSON; every string is cleaned of NUL and control characters here.
- outbound.py: where requests (and each redirect hop) may go, and which image URLs may be kept.

A leaf: it imports app.config and its own modules only; mapping records onto the catalog is
app/catalog/from_upstream.py.
"""
