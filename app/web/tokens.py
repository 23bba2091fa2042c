"""/settings/tokens: API tokens for scripts (create: shown once; revoke), and who did either."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.auth.tokens import create_token, list_tokens, parse_token_form, revoke_token
from app.auth.users import CurrentUser
from app.catalog.validation import ValidationError
from app.not_found import NotFound
from app.web.templating import render


def _user(request: Request) -> CurrentUser:
    user = request.scope.get("user")
    assert isinstance(user, CurrentUser), "the login guard lets no anonymous request this far"
    return user


async def _page(request: Request, **extra: object) -> Response[str]:
    status = 422 if extra.get("errors") else 201 if extra.get("created") else 200
    context = {"tokens": await list_tokens(), "errors": {}, "form": {}, "created": None, **extra}
    return render(request, "tokens.html", context, status_code=status)


@get("/settings/tokens", name="settings_tokens")
async def tokens_page(request: Request) -> Response[str]:
    """Every token: name, scope, who made it, last used, revoked."""
    return await _page(request)


@post("/settings/tokens", name="settings_tokens_create")
async def tokens_create(request: Request) -> Response[str]:
    """Create a token; the page shows it this once."""
    form = await request.form()
    name, scope = form.get("name"), form.get("scope")
    try:
        clean, chosen = parse_token_form(
            name if isinstance(name, str) else None, scope if isinstance(scope, str) else None
        )
    except ValidationError as exc:
        return await _page(request, errors=exc.errors, form={"name": name, "scope": scope})
    user = _user(request)
    created = await create_token(clean, chosen, user_id=user.id, username=user.username)
    return await _page(request, created=created)


@post("/settings/tokens/{token_id:int}/revoke", name="settings_tokens_revoke")
async def tokens_revoke(request: Request, token_id: int) -> Redirect:
    """Revoke a token: the next request carrying it gets a 401."""
    user = _user(request)
    # Token ids are 32-bit: a larger number names no token (and must not reach the database).
    if not 0 < token_id < 2**31 or not await revoke_token(token_id, user_id=user.id, username=user.username):
        raise NotFound(f"There is no live token #{token_id}.")
    return Redirect("/settings/tokens", status_code=303)


ROUTES: list[ControllerRouterHandler] = [tokens_page, tokens_create, tokens_revoke]
