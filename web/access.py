"""Who may do what: every route's permission declared in one table, and asset visibility.

``ROUTES`` maps each endpoint to the :class:`Need` it declares; a request to an endpoint missing
from it is refused (and a test walks the route map with every role). ``can_view`` decides
whether someone may see an asset: staff everything, the public only published, cleared assets.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging

from flask import Flask, Response, abort, g, redirect, request, session, url_for
from sqlalchemy import ColumnElement, select

from dam.curation.rights import public_clause
from dam.enums import Role
from dam.models import Asset, Batch, utcnow
from web.accounts import CurrentUser, user_for_session, user_for_token
from web.security import check_csrf, client_address
from web.sessions import end_session, start_session
from web.state import get_ctx

log = logging.getLogger(__name__)


class Need(enum.Enum):
    PUBLIC = "public"  # anyone, signed in or not
    ASSET = "asset"  # anyone; can_view() decides per asset, and says 404 when not
    SIGNED_IN = "signed_in"  # any active account
    VIEW = "view"  # press staff and up: browse, search, download
    UPLOAD = "upload"  # photographers and up
    EDIT = "edit"  # editors and up: every asset's metadata, workflow, rights, collections
    ADMIN = "admin"


# Each role includes the ones below it.
RANK = {Role.VIEWER: 1, Role.PHOTOGRAPHER: 2, Role.EDITOR: 3, Role.ADMIN: 4}
NEED_RANK = {
    Need.SIGNED_IN: 1, Need.VIEW: 1, Need.ASSET: 1, Need.UPLOAD: 2, Need.EDIT: 3, Need.ADMIN: 4
}

_PUBLIC = ("static", "health.healthz", "auth.login", "auth.welcome",
           "auth.forgot_password", "auth.reset_password", "auth.set_language",
           "api.openapi", "api.docs")
_SIGNED_IN = ("auth.logout", "auth.account", "auth.change_password", "auth.create_token",
              "auth.revoke_token", "auth.set_notices", "api.me")
_ASSET = ("assets.show", "assets.download_original", "assets.download_jpeg", "files.serve",
          "api.asset", "assets.download_exact", "assets.download_xmp")
_VIEW = ("browse.index", "browse.timeline", "browse.month", "browse.events", "browse.event",
         "browse.photographers", "browse.photographer", "search.page", "search.all_ids",
         "api.search", "api.assets")
_UPLOAD = ("upload.page", "upload.batches", "upload.batch", "api.batches", "api.create_batch",
           "api.batch", "api.create_upload", "api.upload_status", "api.upload_chunk",
           "api.complete_upload")
# Downloads of the original file: staff only, whatever the asset's state (the public gets 404).
ORIGINALS = frozenset({"assets.download_original", "assets.download_exact"})
_ADMIN = ("admin.users", "admin.invite", "admin.edit_user", "admin.queue", "admin.retry")

# Curation (issue 6). Photographers may edit and cull their own batches' assets: the services
# check ownership per asset, so those routes need UPLOAD here.
_EDITING = (  # editing one asset and selections, batch edits and undo (services check owners)
    "editing.edit_asset", "editing.batch_form", "editing.batch_apply", "editing.batch_result",
    "editing.undo", "editing.api_edit_asset", "editing.api_batch_edit", "editing.api_undo",
)
_CULLING = ("culling.loupe", "culling.mark_form", "culling.api_set_marks")  # the loupe
_COLLECTIONS_VIEW = ("collections.index", "collections.show")  # albums and events: read
_COLLECTIONS_EDIT = (  # albums: create, order, cover, add and remove
    "collections.new", "collections.edit", "collections.delete", "collections.add_items",
    "collections.remove_items", "collections.reorder", "collections.set_cover",
    "collections.from_event",
)
_WORKFLOW = ("workflow.change_state", "workflow.set_state", "workflow.set_rights",
             "workflow.consents", "workflow.new_consent", "workflow.consent", "workflow.cover",
             "workflow.revoke", "workflow.uncover")  # workflow states, rights, consent forms
_VOCABULARY_SUGGEST = ("vocabulary.suggest", "vocabulary.codes",  # suggestions for fields
                       "vocabulary.api_templates")
_CURATION_ADMIN = (  # vocabularies, caption templates, the audit log
    "vocabulary.index", "vocabulary.kind_terms", "vocabulary.add_term", "vocabulary.import_terms",
    "vocabulary.edit_term", "vocabulary.toggle_term", "vocabulary.templates",
    "vocabulary.preview_template", "vocabulary.edit_template", "vocabulary.delete_template",
    "auditlog.index", "auditlog.export_csv", "auditlog.entry",
)

# Publishing (issue 7).
_PUBLISHING: tuple[str, ...] = (  # gallery: publish, runs, collections in the gallery (editors)
    "publishing.index", "publishing.publish", "publishing.run", "publishing.gallery")
_BLACKOUT_ADMIN: tuple[str, ...] = (  # electoral blackouts and their exceptions (admins)
    "blackout.index", "blackout.add", "blackout.delete", "blackout.collection_exception")
_PROFILES_ADMIN = ("profiles.index", "profiles.edit", "profiles.reset",  # export profiles
                   "profiles.upload_band", "profiles.remove_band",  # the institutional band
                   "profiles.band_image")  # (admins)
_PRESSKIT = ("presskit.collection_zip", "presskit.selection_zip",  # press kits (press staff+)
             "presskit.api_collection_zip")
_SOCIAL_VIEW = ("social.image",)  # social formats of a picture (press staff and up)
_SOCIAL_EDIT = ("social.set_point", "social.api_set_point")  # point of interest (editors)

# Issue 16: share links (editors make them; recipients open them without an account).
_SHARES_EDIT = ("shares.new", "shares.create", "shares.index", "shares.revoke")
_SHARED_PUBLIC = ("shared.page", "shared.unlock", "shared.picture", "shared.download",
                  "shared.download_all")  # the token decides: 404 unless an active link
_SAVED_SEARCHES = ("saved_searches.save", "saved_searches.index", "saved_searches.open_search",
                   "saved_searches.delete")  # one's own and the team's (press staff and up)
_TIME_SHIFT = ("time_shift.form", "time_shift.apply", "time_shift.result",  # capture time fix
               "time_shift.undo")  # (the service checks the batch is the photographer's)
_MAP = ("map.page", "map.points")  # the staff map of a search's positions
# Issue 22: reports for accountability (editors and admins); the map of divisions (admins).
_REPORTS = ("reports.index", "reports.chart_csv", "reports.pdf", "reports.publish_open_data")
_REPORTS_ADMIN = ("reports.upload_map",)

# Issue 18: publications and press clippings; the old catalogue's spreadsheet.
_PUBLICATIONS_VIEW = ("publications.index", "publications.series",  # series, issues, gaps
                      "publications.clippings")  # press clippings by medium, month, tone
_CLIPPING_TONE = ("publications.set_tone",)  # the media analysis (editors)
_WEB_NOTE = ("publications.web_note",)  # register an online note (photographers and up)
_SHEET_IMPORT = ("sheet_import.form", "sheet_import.preview", "sheet_import.apply")  # admins
# Issue 20: people in the pictures (face data is internal: staff look, editors name).
_FACES_VIEW = ("faces.people", "faces.group", "faces.crop", "faces.asset_faces")
_FACES_EDIT = ("faces.name_group", "faces.merge", "faces.split", "faces.face_action",
               "faces.collection_policy")
# Issue 17: file versions. Downloads decide per asset (404 for the public); replacing is for
# editors and the asset's photographer (checked per asset); restoring for editors.
_VERSIONS_ASSET = ("versions.download",)
_VERSIONS_UPLOAD = ("versions.replace",)
_VERSIONS_EDIT = ("versions.restore",)
# Issue 17: the trash (editors move, list and restore) and legal erasure (admins).
_TRASH_EDIT = ("trash.index", "trash.confirm", "trash.move", "trash.restore")
_TRASH_ADMIN = ("trash.empty", "trash.erase_form", "trash.erase")
_OCR_VIEW = ("ocr.review",)  # issue 18: pages whose OCR is unsure, to check (press staff+)

ROUTES: dict[str, Need] = {
    **dict.fromkeys(_PUBLIC, Need.PUBLIC),
    **dict.fromkeys(_SIGNED_IN, Need.SIGNED_IN),
    **dict.fromkeys(_ASSET, Need.ASSET),
    **dict.fromkeys(_VIEW, Need.VIEW),
    **dict.fromkeys(_UPLOAD, Need.UPLOAD),
    **dict.fromkeys(_ADMIN, Need.ADMIN),
    **dict.fromkeys(_EDITING, Need.UPLOAD),
    **dict.fromkeys(_CULLING, Need.UPLOAD),
    **dict.fromkeys(_COLLECTIONS_VIEW, Need.VIEW),
    **dict.fromkeys(_COLLECTIONS_EDIT, Need.EDIT),
    **dict.fromkeys(_WORKFLOW, Need.UPLOAD),
    **dict.fromkeys(_VOCABULARY_SUGGEST, Need.UPLOAD),
    **dict.fromkeys(_CURATION_ADMIN, Need.ADMIN),
    **dict.fromkeys(_PUBLISHING, Need.EDIT),
    **dict.fromkeys(_BLACKOUT_ADMIN, Need.ADMIN),
    **dict.fromkeys(_PROFILES_ADMIN, Need.ADMIN),
    **dict.fromkeys(_PRESSKIT, Need.VIEW),
    **dict.fromkeys(_SOCIAL_VIEW, Need.VIEW),
    **dict.fromkeys(_SOCIAL_EDIT, Need.EDIT),
    **dict.fromkeys(_SHARES_EDIT, Need.EDIT),
    **dict.fromkeys(_SHARED_PUBLIC, Need.PUBLIC),
    **dict.fromkeys(_SAVED_SEARCHES, Need.VIEW),
    **dict.fromkeys(_TIME_SHIFT, Need.UPLOAD),
    **dict.fromkeys(_MAP, Need.VIEW),
    **dict.fromkeys(_PUBLICATIONS_VIEW, Need.VIEW),
    **dict.fromkeys(_CLIPPING_TONE, Need.EDIT),
    **dict.fromkeys(_WEB_NOTE, Need.UPLOAD),
    **dict.fromkeys(_SHEET_IMPORT, Need.ADMIN),
    **dict.fromkeys(_REPORTS, Need.EDIT),
    **dict.fromkeys(_REPORTS_ADMIN, Need.ADMIN),
    **dict.fromkeys(_FACES_VIEW, Need.VIEW),
    **dict.fromkeys(_FACES_EDIT, Need.EDIT),
    "faces.recluster": Need.ADMIN,  # regroup the whole archive
    **dict.fromkeys(_VERSIONS_ASSET, Need.ASSET),
    **dict.fromkeys(_VERSIONS_UPLOAD, Need.UPLOAD),
    **dict.fromkeys(_VERSIONS_EDIT, Need.EDIT),
    **dict.fromkeys(_TRASH_EDIT, Need.EDIT),
    **dict.fromkeys(_TRASH_ADMIN, Need.ADMIN),
    **dict.fromkeys(_OCR_VIEW, Need.VIEW),
}


def allowed(user: CurrentUser | None, need: Need) -> bool:
    if need is Need.PUBLIC:
        return True
    if user is None:
        return need is Need.ASSET  # the route's can_view() decides, and says 404 when not
    return RANK[user.role] >= NEED_RANK[need]


def can_view(user: CurrentUser | None, asset: Asset) -> bool:
    """Whether ``user`` may see ``asset``: staff see everything, the public what public_clause
    allows at this moment (published, not internal, embargo over, consent in order).

    Evaluated on every call (one small query for the public), so an embargo lifts on time.
    """
    if asset.trashed_at is not None:  # the trash: editors see it (the Papelera), no one else
        return user is not None and RANK[user.role] >= RANK[Role.EDITOR]
    if user is not None:
        return RANK[user.role] >= RANK[Role.VIEWER]
    if asset.id is None:
        return False
    with get_ctx().catalog.read() as db:
        return db.scalar(select(Asset.id).where(Asset.id == asset.id, public_clause(utcnow()))
                         ) is not None


def can_download_original(user: CurrentUser | None, asset: Asset) -> bool:
    """Originals are for staff only: the public sees previews of published assets, no more."""
    return user is not None and can_view(user, asset)


def visible_clause(user: CurrentUser | None) -> ColumnElement[bool]:
    """``can_view`` as a SQL condition on Asset, for lists (``now`` taken per call); lists never
    show the trash (only the Papelera does)."""
    return Asset.trashed_at.is_(None) if user is not None else public_clause(utcnow())


def can_see_batch(user: CurrentUser | None, batch: Batch) -> bool:
    """Editors and admins see every batch; photographers only those they uploaded."""
    if user is None:
        return False
    return RANK[user.role] >= RANK[Role.EDITOR] or batch.user_id == user.id


def sees_all_batches(user: CurrentUser) -> bool:
    return RANK[user.role] >= RANK[Role.EDITOR]


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _load_request_user() -> CurrentUser | None:
    header = request.headers.get("Authorization", "")
    if header:
        g.token_auth = True
        scheme, _, token = header.partition(" ")
        user = user_for_token(get_ctx().catalog, token.strip()) if scheme == "Bearer" else None
        if user is None:
            abort(401, description="token")
        return user
    token = session.get("sid")
    if not isinstance(token, str) or not token:
        return None
    user = user_for_session(get_ctx().catalog, token, session_lifetime(),
                            on_touch=_renew_cookie)
    if user is None:
        session.clear()
    return user


def _renew_cookie() -> None:
    """The cookie's expiry moves on when the session's last use is written (every few
    minutes), not on every response: re-signing it cost ~0.4 ms a request."""
    session.modified = True


def session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=get_ctx().settings.session_hours)


def sign_in(user: CurrentUser) -> None:
    """A fresh session for ``user``: a new row in the catalog and a new cookie (nothing of the
    anonymous one is kept but the language; a session the cookie had is ended)."""
    catalog = get_ctx().catalog
    old, lang = session.get("sid"), session.get("lang")
    if isinstance(old, str) and old:
        end_session(catalog, old)
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True
    session["sid"] = start_session(
        catalog, user.id, max_age=session_lifetime(),
        user_agent=request.headers.get("User-Agent", ""), address=client_address())


def sign_out() -> None:
    """End this browser's session on the server too: a copy of the cookie opens nothing."""
    token = session.get("sid")
    if isinstance(token, str) and token:
        end_session(get_ctx().catalog, token)
    session.clear()


def current_session_id() -> str | None:
    """This request's session id (the cookie's), for keeping it when the others end."""
    token = session.get("sid")
    return token if isinstance(token, str) and token else None


def _deny(user: CurrentUser | None, need: Need) -> Response:
    if user is not None:
        abort(403)
    if need is Need.ASSET:
        abort(404)  # the public must not learn which ids exist
    if is_api_request():
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def check_access() -> Response | None:
    g.token_auth = False
    g.user = None
    if request.endpoint is None:
        return None  # routing failed: the 404/405 handler answers
    need = ROUTES.get(request.endpoint)
    if need is None:
        log.error("route %s declares no permission: refused", request.endpoint)
        abort(403)
    if need is not Need.PUBLIC or request.endpoint != "static":
        g.user = _load_request_user()
    if not g.token_auth:
        check_csrf()
    if g.user is None and request.endpoint in ORIGINALS:
        abort(404)  # the public sees previews of published assets, never the original file
    if allowed(g.user, need):
        return None
    return _deny(g.user, need)


def init_access(app: Flask) -> None:
    app.before_request(check_access)

    @app.context_processor
    def _user() -> dict[str, object]:
        return {"current_user": g.get("user"), "allowed": allowed, "Need": Need}
