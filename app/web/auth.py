"""Login and logout pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from app.auth.users import FAILURE_WINDOW_S, MAX_FAILURES, LoginThrottled, login, logout
from app.web.csrf import anonymous_token, csrf_cookie, token_for_session
from app.web.guard import SESSION_COOKIE
from app.web.templating import render

# Said on the login page: a person locked out by the throttle should know why the right password fails.
THROTTLE_RULE = {"failures": MAX_FAILURES, "minutes": int(FAILURE_WINDOW_S // 60)}


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never "//evil.example" or "https://…".
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@get("/login", name="login")
async def login_page(request: Request, next: str | None = None) -> Response[str]:
    if request.scope.get("user"):
        return Redirect(_safe_next(next))  # type: ignore[return-value]
    context = {"next": _safe_next(next), "error": None, "throttle": THROTTLE_RULE}
    return render(request, "login.html", context, block=None)


@post("/login")
async def login_submit(
    request: Request, data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
) -> Response[str]:
    username = str(data.get("username", "")).strip()[:100]
    password = str(data.get("password", ""))[:200]
    target = _safe_next(data.get("next"))
    client = request.client.host if request.client else "unknown"
    try:
        token = await login(username, password, client)
    except LoginThrottled as exc:
        return render(
            request,
            "login.html",
            {"next": target, "error": str(exc), "username": username, "throttle": THROTTLE_RULE},
            block=None,
            status_code=429,
            headers={"retry-after": str(exc.retry_after)},
        )
    except ValueError as exc:
        return render(
            request,
            "login.html",
            {"next": target, "error": str(exc), "username": username, "throttle": THROTTLE_RULE},
            block=None,
            status_code=400,
        )
    return Redirect(
        target,
        status_code=303,
        cookies=[
            Cookie(key=SESSION_COOKIE, value=token, path="/", httponly=True, samesite="lax"),
            csrf_cookie(token_for_session(token)),  # the anonymous form's token ends here
        ],
    )


@post("/logout")
async def logout_submit(request: Request) -> Redirect:
    await logout(request.cookies.get(SESSION_COOKIE))
    return Redirect(
        "/login",
        status_code=303,
        cookies=[
            Cookie(key=SESSION_COOKIE, value="", path="/", max_age=0, httponly=True, samesite="lax"),
            csrf_cookie(anonymous_token()),
        ],
    )


ROUTES: list[ControllerRouterHandler] = [login_page, login_submit, logout_submit]
