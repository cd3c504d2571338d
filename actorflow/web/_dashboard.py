"""The dashboard: one HTML page, its script and its style sheet, all served by the app.

Nothing is fetched from elsewhere (no CDN, no font service); a Content-Security-Policy
says so to the browser too. With an API token set, the page needs it once
(``/?token=...``, or the form the page shows); a same-site, HTTP-only cookie derived from
the token carries it from then on, which is what lets ``EventSource`` (which cannot set
headers) follow a run.
"""

from __future__ import annotations

import functools
from importlib import resources

from aiohttp import web

from ._errors import ApiError
from ._http import SESSION_COOKIE, authenticated, check_request, same_secret, session_value
from ._keys import SETTINGS_KEY

_FILES = {
    "app.js": "application/javascript",
    "app.css": "text/css",
}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_LOGIN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>actorflow: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main class="login"><h1>actorflow</h1>
<p>This server needs its API token (<code>ACTORFLOW_API_TOKEN</code>).</p>
<form method="get" action="">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Open the dashboard</button></form>{error}</main></body></html>
"""


@functools.cache
def _read(name: str) -> bytes:
    return (resources.files("actorflow.web.static") / name).read_bytes()


async def index(request: web.Request) -> web.StreamResponse:
    settings = request.config_dict[SETTINGS_KEY]
    try:
        check_request(request, settings, public=True)
    except ApiError as exc:
        return exc.response()
    token = settings.api_token
    given = request.query.get("token")
    if token is not None and given is not None:
        if same_secret(given, token):
            # Redirect to drop the token from the address bar (and from history).
            response = web.Response(status=303, headers={"Location": request.path})
            response.set_cookie(
                SESSION_COOKIE,
                session_value(token),
                httponly=True,
                samesite="Strict",
                path="/",
            )
            return response
        return _login(request, "That token is not the right one.")
    if not authenticated(request, settings):
        return _login(request, "")
    # The page shows the upload limits beside the upload field and checks a file against
    # them as it reads it, before anything is sent.
    page = (
        _read("index.html")
        .replace(b"__MAX_UPLOAD_BYTES__", str(settings.max_upload_bytes).encode())
        .replace(b"__MAX_RECORDS__", str(settings.max_records_per_run).encode())
    )
    return web.Response(body=page, content_type="text/html", charset="utf-8", headers=_HEADERS)


def _login(request: web.Request, error: str) -> web.Response:
    del request  # the page is the same wherever it is asked for
    note = f'<p role="alert">{error}</p>' if error else ""
    return web.Response(
        status=401,
        text=_LOGIN.format(error=note),
        content_type="text/html",
        headers={**_HEADERS, "WWW-Authenticate": 'Bearer realm="actorflow"'},
    )


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    settings = request.config_dict[SETTINGS_KEY]
    try:
        check_request(request, settings)
    except ApiError as exc:
        return exc.response()
    content_type = _FILES.get(name)
    if content_type is None:  # only the files we ship: no path from the URL reaches the disk
        return ApiError(404, "not_found", f"no static file {name!r}").response()
    return web.Response(body=_read(name), content_type=content_type, headers=_HEADERS)


def add_routes(router: web.UrlDispatcher, prefix: str = "") -> None:
    """Mount the dashboard at ``prefix + "/"``."""
    router.add_get(prefix + "/", index)
    router.add_get(prefix + "/static/{name}", static)
