"""Errors translated once at the edge: a status page for people, JSON for the API."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from dam.errors import CatalogNotReadyError, DamError, NotFoundError
from storage import StoreUnavailableError
from web.access import is_api_request

log = logging.getLogger(__name__)

CATALOG_RETRY_SECONDS = 30  # Retry-After while the catalog does not answer
STORE_RETRY_SECONDS = 30  # Retry-After while the object store does not answer


class RequestError(Exception):
    """A request we refuse for a reason people can act on."""

    def __init__(self, status: int, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _messages() -> dict[int, str]:
    return {
        400: _("The request is not valid."),
        401: _("Please sign in to continue."),
        403: _("You do not have permission to do this."),
        404: _("There is nothing here: the address is wrong or the item does not exist."),
        405: _("This address does not accept that method."),
        409: _("The request conflicts with the current state."),
        413: _("The file or request is too large."),
        415: _("This type of file is not accepted."),
        429: _("Too many attempts. Please wait and try again."),
        500: _("Something went wrong on our side. The error has been logged."),
        503: _("The service is not available right now."),
    }


def is_catalog_outage(exc: BaseException) -> bool:
    """Whether a database error means the catalog cannot be reached (not that a query is wrong).

    Covers lost or refused connections (OperationalError, InterfaceError, an invalidated
    connection, an exhausted pool) and SQLite's "database is locked" and "unable to open".
    """
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _detail_message(status: int, description: str | None) -> str:
    if description == "csrf":
        return _("The form expired or is not valid. Reload the page and try again.")
    if description == "token":
        return _("The API token is not valid or was revoked.")
    return _messages().get(status, _messages()[500 if status >= 500 else 400])


def error_response(status: int, code: str, message: str, **extra: object) -> Response:
    request_id = g.get("request_id", "-")
    if is_api_request():
        response = jsonify(error=code, message=message, request_id=request_id, **extra)
    else:
        response = Response(
            render_template("error.html", status=status, message=message,
                            request_id=request_id),
            mimetype="text/html",
        )
    response.status_code = status
    if status == 401 and is_api_request():
        response.headers["WWW-Authenticate"] = 'Bearer realm="acervo"'
    return response


def init_errors(app: Flask) -> None:
    @app.errorhandler(RequestError)
    def _request_error(exc: RequestError) -> Response:
        response = error_response(exc.status, exc.code, exc.message, **exc.extra)
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = exc.description if exc.description in ("csrf", "token") else _code(status)
        response = error_response(status, code, _detail_message(status, exc.description))
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(NotFoundError)
    def _not_found(exc: NotFoundError) -> Response:
        return error_response(404, "not_found", _messages()[404])

    @app.errorhandler(CatalogNotReadyError)
    def _not_ready(exc: CatalogNotReadyError) -> Response:
        log.error("catalog not ready: %s", exc)
        return error_response(503, "unavailable", _messages()[503])

    @app.errorhandler(DBAPIError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeoutError)
    def _database_error(exc: Exception) -> Response:
        if not is_catalog_outage(exc):
            return internal_error(exc)
        log.error("catalog unreachable: %s", str(exc).splitlines()[0][:300])
        return catalog_unavailable()

    @app.errorhandler(StoreUnavailableError)
    def _store_error(exc: StoreUnavailableError) -> Response:
        # Within the S3 client's bounded timeouts and tries (s3_*_timeout_seconds,
        # s3_max_attempts): the page says so at once instead of hanging or a bare 500.
        log.error("object store unreachable: %s", str(exc).splitlines()[0][:300])
        return store_unavailable()

    @app.errorhandler(DamError)
    def _dam_error(exc: DamError) -> Response:
        log.warning("request failed: %s", exc)
        return error_response(400, "invalid", str(exc))

    app.register_error_handler(Exception, internal_error)


def internal_error(exc: Exception) -> Response:
    log.error("unexpected error", exc_info=exc)
    return error_response(500, "internal", _messages()[500])


def _unavailable(code: str, message: str, retry_seconds: int) -> Response:
    """503 with Retry-After: a part this node needs does not answer; a later request retries."""
    response = error_response(503, code, message, retry_after=retry_seconds)
    response.headers["Retry-After"] = str(retry_seconds)
    return response


def catalog_unavailable() -> Response:
    """The catalog does not answer; the next request tries it again."""
    return _unavailable("catalog_unavailable", _(
        "The catalog is not answering right now. Please try again in a minute."),
        CATALOG_RETRY_SECONDS)


def store_unavailable() -> Response:
    """The object store does not answer this node."""
    return _unavailable("store_unavailable", _(
        "The file store is not answering right now. Please try again in a minute."),
        STORE_RETRY_SECONDS)


def _code(status: int) -> str:
    return {
        400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
        405: "method_not_allowed", 409: "conflict", 413: "too_large",
        415: "unsupported_type", 429: "too_many_requests", 503: "unavailable",
        507: "insufficient_storage",
    }.get(status, "error")
