"""The Flask web application and JSON API: sign-in, upload, browse, search, the asset page."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlparse

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from dam.config import Settings, load_settings
from dam.context import open_context, signing_key
from dam.search.service import SearchService
from web.reasons import failure_text
from web.security import AttemptLimiter, csrf_token, init_security
from web.state import WebState


class SafeJSONProvider(DefaultJSONProvider):
    """JSON whose strings cannot close a <script> or start markup wherever it is pasted."""

    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        return (
            text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027")
        )


def _secret_key(settings: Settings) -> bytes:
    key = signing_key(settings, create=True)
    assert key is not None
    return hmac.new(key, b"acervo web session", hashlib.sha256).digest()


def _configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        DAM_SETTINGS=settings,
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_NAME="acervo_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web_secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        SESSION_REFRESH_EACH_REQUEST=False,  # renewed with the session's last use (web.access)
        MAX_CONTENT_LENGTH=settings.upload_chunk_bytes + 64 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=dt.timedelta(hours=1),
    )
    app.json = SafeJSONProvider(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    app.jinja_env.globals["json"] = json
    app.jinja_env.globals["failure_text"] = failure_text  # reasons in the reader's language


def _store_media_sources(settings: Settings) -> str:
    """Where presigned S3 URLs point, so the page's Content-Security-Policy lets them load."""
    if not settings.store_url.startswith("s3://"):
        return ""
    if settings.s3_endpoint_url:
        parsed = urlparse(settings.s3_endpoint_url)
        return f"{parsed.scheme}://{parsed.netloc}"
    return "https://*.amazonaws.com"


def _register(app: Flask) -> None:
    from web import (
        admin,
        api,
        assets,
        auditlog,
        auth,
        blackout,
        browse,
        collections,
        culling,
        editing,
        faces,
        files,
        health,
        map,
        ocr_view,
        presskit,
        profiles,
        publications,
        publishing,
        reports,
        saved_searches,
        search,
        shared,
        shares,
        sheet_import,
        social,
        time_shift,
        trash,
        upload,
        versions,
        vocabulary,
        workflow,
    )

    for module in (
        auth, admin, api, assets, browse, files, health, search, upload, auditlog,
        vocabulary, culling, workflow, collections, editing,
        publishing, blackout, profiles, presskit, social,
        shares, shared, saved_searches, time_shift, map, publications, sheet_import, reports,
        faces, versions, trash, ocr_view,
    ):
        app.register_blueprint(module.bp)


def create_app(settings: Settings | None = None, *, sync_search: bool = False) -> Flask:
    """Application factory: one app per settings object, on a catalog that `dam init` made.

    ``sync_search`` starts the thread that keeps this node's search index following the catalog
    (``dam serve`` turns it on; tests sync by hand).
    """
    from web.access import init_access
    from web.errors import init_errors
    from web.grid_html import init_grid
    from web.i18n import init_i18n
    from web.links import init_links
    from web.params import register_converters

    settings = settings or load_settings()
    app = Flask(__name__)
    register_converters(app.url_map)
    _configure(app, settings)
    ctx = open_context(settings)
    search_service = SearchService(settings, ctx.catalog, store=ctx.store)
    app.extensions["acervo"] = WebState(
        ctx=ctx, search=search_service,
        login_limiter=AttemptLimiter(ctx.catalog, settings.login_attempts,
                                     settings.login_attempts_per_address),
    )
    if settings.web_trusted_proxies > 0:  # only then is X-Forwarded-For believed
        n = settings.web_trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    if sync_search:
        search_service.start(settings.search_sync_seconds)
    init_security(app, extra_media_sources=_store_media_sources(settings))
    init_i18n(app)
    init_links(app)
    init_grid(app)
    init_access(app)
    init_errors(app)
    _register(app)
    return app
