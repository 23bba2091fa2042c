"""Every form field and every query parameter of every route, over real HTTP, with what breaks a
database: lengths just over the column, NUL, control characters, huge integers, invalid UTF-8.

The forms are read from the pages themselves (every GET route, and the album page with each editor
open), so a new field is fuzzed without touching this file. No answer may be a 5xx, and afterwards
no catalog row holds text longer than its column or with a NUL (SQLite would store both silently;
Postgres refuses them with a 500 when nothing checks first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, quote_from_bytes

import httpx
import pytest
from piccolo.columns import BigInt, BigSerial, Column, Integer, Serial, SmallInt, Varchar
from piccolo.table import Table

from app.auth.tables import AdminUser
from app.auth.users import create_admin
from app.catalog.tables import Album, Artist, Track
from app.jobs.tables import Job
from app.llamalog.tables import LlamaLog
from app.web.album_fields import FIELD_LABELS
from tests.factories import manual_album, tracklist
from tests.security.conftest import PASSWORD
from tests.security.forms import Form, forms_in
from tests.security.routes import fill, routes

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TABLES: tuple[type[Table], ...] = (Album, Artist, Track, LlamaLog, Job, AdminUser)
# Form fields named otherwise than the column they end in.
ALIASES: dict[str, Column] = {"artist": Artist.name, "log_id": LlamaLog.id, "after": LlamaLog.id}
BITS = ((SmallInt, 16), (BigInt, 64), (Integer, 32), (BigSerial, 64), (Serial, 32))
LOG_FILTERS = ("category", "entity_type", "status", "operation", "source", "since", "until", "job", "q",
               "cursor", "limit")  # fmt: skip
ALBUM_FILTERS = ("q", "reason", "quality", "source", "enrichment", "sort", "cursor", "limit", "broken")
JOB_FILTERS = ("status", "kind", "cursor", "roots", "limit", "part")
# Query parameters handlers read from request.query_params (declared ones are found on their own).
QUERY_READ: dict[str, tuple[str, ...]] = {
    "/": ("retried",),
    "/albums": ALBUM_FILTERS,
    "/albums/broken": ALBUM_FILTERS,
    "/api/albums": ALBUM_FILTERS,
    "/jobs": JOB_FILTERS,
    "/api/jobs": JOB_FILTERS,
    "/jobs/{ident:str}": ("part",),
    "/logs": LOG_FILTERS,
    "/api/logs": LOG_FILTERS,
    "/logs/stream": (*LOG_FILTERS, "after"),
    "/api/chain/{entity_type:str}/{entity_id:str}": LOG_FILTERS,
    "/timeline/{kind:str}/{ident:str}": (*LOG_FILTERS, "part", "root"),
    "/timeline/{kind:str}/{ident:str}/stream": (*LOG_FILTERS, "after", "root"),
}
NOT_FUZZED_POSTS = {"/logout"}  # it works on any input: fuzzing it only logs the fuzzer out


def columns_for(name: str) -> list[Column]:
    if name in ALIASES:
        return [ALIASES[name]]
    return [c for t in TABLES for c in t._meta.columns if c._meta.name == name]


def payloads(columns: list[Column]) -> list[bytes]:
    """Raw bytes for one field: what breaks Postgres or SQLite, sized to the field's own columns."""
    lengths = {c.length for c in columns if isinstance(c, Varchar)} or {1000}
    out = [b"x" * (n + 1) for n in sorted(lengths)]
    for column in columns:
        bits = next((b for kind, b in BITS if isinstance(column, kind)), None)
        if bits:
            out += [str(2 ** (bits - 1)).encode(), str(-(2 ** (bits - 1)) - 1).encode()]
    return out + [
        b"\x00",
        b"nul\x00inside",
        b"bell\x07 escape\x1b[2J del\x7f",
        "next line\u0085".encode(),
        b"9" * 30,
        b"-" + b"9" * 30,
        b"bad \xff\xfe utf-8",
        b"\xed\xa0\x80 surrogate",
        b"cut \xc3",
    ]


def encoded(fields: dict[str, str | bytes]) -> bytes:
    parts = []
    for name, value in fields.items():
        raw = value if isinstance(value, bytes) else value.encode()
        parts.append(f"{quote(name)}={quote_from_bytes(raw)}")
    return "&".join(parts).encode()


@pytest.fixture
async def admin(live_url: str) -> AsyncIterator[httpx.Client]:
    """An admin logged in through the real form (its CSRF token is the one for its session)."""
    await create_admin("fuzzer", PASSWORD)
    with httpx.Client(base_url=live_url, timeout=60) as client:
        client.get("/login")
        data = {"username": "fuzzer", "password": PASSWORD, "_csrf_token": client.cookies["llama_csrf"]}
        assert client.post("/login", data=data).status_code == 303
        yield client


async def _values() -> dict[str, Any]:
    album = await manual_album(title="Fuzz Target", artist="Fuzz Artist", tracks=tracklist(3))
    track = await Track.select(Track.id).where(Track.album == album.id).first()
    artist = await Artist.select(Artist.id).first()
    log = await LlamaLog.select(LlamaLog.id, LlamaLog.root_job_id).first()
    return {
        "album_id": album.id,
        "track_id": track["id"],
        "log_id": log["id"],
        "job_id": log["root_job_id"],
        "ident": [log["root_job_id"], artist["id"], track["id"]],
        "kind": ["album", "job"],
        "entity_type": "album",
        "entity_id": album.id,
        "name": "musicbrainz",
        "token_id": 1,
    }


def _get_status(client: httpx.Client, url: str) -> int:
    # Streams never end: the status line is all that matters.
    with client.stream("GET", url, headers={"accept": "text/html"}) as response:
        return response.status_code


def _page_urls(values: dict[str, Any]) -> list[str]:
    album = f"/albums/{values['album_id']}"
    urls = [url for path in routes("GET") if not path.endswith("/stream") for url in fill(path, values)]
    editors = [f"{album}?edit={name}" for name in FIELD_LABELS]
    return urls + editors + [f"{album}?edit_track={values['track_id']}"]


def _forms(client: httpx.Client, values: dict[str, Any]) -> dict[tuple[Any, ...], Form]:
    found: dict[tuple[Any, ...], Form] = {}
    for url in _page_urls(values):
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        for form in forms_in(response.text, url):
            found.setdefault(form.key, form)
    return found


# Fields of forms that appear only mid-flow (a preview needs a candidate, a revert a correction).
MID_FLOW_FIELDS = {
    "/albums/{album_id:uuid}/fix/apply": {
        "key": "mb:none", "discogs_id": "", "version": "1", "field": "title", "track": "1"
    },
    "/albums/{album_id:uuid}/fix/revert": {"log_id": "1", "job_id": ""},
}  # fmt: skip


def _with_unseen_posts(forms: list[Form], values: dict[str, Any], csrf: str) -> list[Form]:
    """The forms found, plus one for each POST route no page showed just now."""
    posted = {form.action for form in forms if form.method == "post"}
    for path in routes("POST"):
        url = fill(path, values)[0]
        if path not in NOT_FUZZED_POSTS and url not in posted:
            forms.append(Form(url, "post", {"_csrf_token": csrf, **MID_FLOW_FIELDS.get(path, {})}))
    return forms


def _reread(client: httpx.Client, form: Form) -> None:
    """After a save, the page's current values (the version moved on; a stale one is only a 409)."""
    if form.page:
        for again in forms_in(client.get(form.page).text, form.page):
            if again.key == form.key:
                form.fields.update(again.fields)


def _fuzz_form(client: httpx.Client, form: Form, found: list[str]) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    for name in list(form.fields):
        if name == "_csrf_token":
            continue
        target = form.fields.get("field") if name == "value" else name
        for payload in payloads(columns_for(str(target))):
            body = encoded({**form.fields, name: payload})
            if form.method == "post":
                status = client.post(form.action, content=body, headers=headers).status_code
                if status < 400:
                    _reread(client, form)
            else:
                status = _get_status(client, f"{form.action}?{body.decode()}")
            if status >= 500:
                found.append(f"{form.method.upper()} {form.action} {name}={payload[:40]!r}: {status}")


async def test_no_form_field_answers_5xx(live_url: str, admin: httpx.Client) -> None:
    values = await _values()
    csrf = admin.cookies["llama_csrf"]
    forms = _with_unseen_posts(list(_forms(admin, values).values()), values, csrf)
    found: list[str] = []
    for form in forms:
        if form.action not in NOT_FUZZED_POSTS:
            _fuzz_form(admin, form, found)
    assert not found, "\n".join(found)
    await _assert_rows_fit()


async def test_no_login_field_answers_5xx(live_url: str) -> None:
    await create_admin("fuzzer", PASSWORD)
    found: list[str] = []
    # Failed logins throttle the address: these come "from" a documentation address (uvicorn trusts
    # X-Forwarded-For from loopback), so the other tests here still log in from 127.0.0.1.
    with httpx.Client(base_url=live_url, timeout=60, headers={"x-forwarded-for": "203.0.113.7"}) as anon:
        (form,) = [f for f in forms_in(anon.get("/login").text, "/login") if f.action == "/login"]
        _fuzz_form(anon, form, found)
    assert not found, "\n".join(found)


def _declared_query() -> dict[str, set[str]]:
    """{path: query parameters its GET handler declares} (path parameters and the request left out)."""
    from app.main import create_app

    declared: dict[str, set[str]] = {}
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" in handler.http_methods:
                names = set(handler.parsed_fn_signature.parameters) - {"request", *route.path_parameters}
                declared.setdefault(route.path, set()).update(names)
    return declared


async def test_no_query_parameter_or_path_segment_answers_5xx(live_url: str, admin: httpx.Client) -> None:
    values = await _values()
    declared = _declared_query()
    found: list[str] = []
    for path in routes("GET"):
        names = set(QUERY_READ.get(path, ())) | declared.get(path, set())
        url = fill(path, values)[0]
        for name in sorted(names):
            for payload in payloads(columns_for(name)):
                status = _get_status(admin, f"{url}?{quote(name)}={quote_from_bytes(payload)}")
                if status >= 500:
                    found.append(f"GET {url}?{name}={payload[:40]!r}: {status}")
        # Path segments: every parameter of the route in turn.
        for param in {p for p in values if "{" + p in path}:
            for payload in payloads(columns_for(param)):
                segment = quote_from_bytes(payload, safe="")
                for url in fill(path, {**values, param: segment}):
                    if _get_status(admin, url) >= 500:
                        found.append(f"GET {url[:120]}: 5xx")
    for payload in payloads([LlamaLog.id]):  # a stream resumes from the browser's Last-Event-ID
        if any(byte < 0x20 or byte == 0x7F for byte in payload):
            continue  # not a header anyone can send
        with admin.stream("GET", "/logs/stream", headers={"last-event-id": payload}) as r:
            if r.status_code >= 500:
                found.append(f"GET /logs/stream Last-Event-ID {payload[:40]!r}: {r.status_code}")
    big = "9" * 30
    for url in (f"/failures/{big}/retry", f"/jobs/{big}/retry", f"/jobs/run/{'x' * 60}"):
        status = admin.post(url, data={"_csrf_token": admin.cookies["llama_csrf"]}).status_code
        if status >= 500:
            found.append(f"POST {url}: {status}")
    assert not found, "\n".join(found)


async def _assert_rows_fit() -> None:
    """Whatever the fuzzing saved fits its columns (on SQLite nothing else would have said so)."""
    for table in (Album, Artist, Track):
        texts = [c for c in table._meta.columns if isinstance(c, Varchar)]
        for row in await table.select(*texts):
            for column in texts:
                value = row[column._meta.name]
                where = f"{table._meta.tablename}.{column._meta.name}"
                if isinstance(value, str):
                    assert len(value) <= column.length, f"{where}: {len(value)} characters"
                    assert "\x00" not in value, f"{where} holds a NUL"
