"""Administration: accounts (invite, edit, disable, roles) and the processing queue."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dam import catalog as catalog_service
from dam.enums import Role
from dam.mail import mail_enabled
from web import accounts, queries
from web import mail as mails
from web.accounts import AccountError
from web.auth import INVITATION_DAYS, account_message, invitation_link
from web.params import bounded_int
from web.state import get_ctx

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _role(value: str | None) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        abort(400)


@bp.get("/usuarios")
def users() -> str:
    return render_template("admin_users.html", users=accounts.list_users(get_ctx().catalog),
                           roles=list(Role))


@bp.post("/usuarios")
def invite() -> Response | tuple[str, int]:
    form = request.form
    try:
        user = accounts.create_user(
            get_ctx().catalog, form.get("username", ""), _role(form.get("role")),
            display_name=form.get("display_name", ""), email=form.get("email", ""),
        )
    except AccountError as exc:
        flash(account_message(exc), "error")
        return users(), 400
    link = invitation_link(user.id, user.epoch)
    email = form.get("email", "").strip()
    settings = get_ctx().settings
    if email and mail_enabled(settings):
        with get_ctx().catalog.write() as session:
            mails.invitation(session, settings, to=email, name=user.name, username=user.username,
                             link=link, days=INVITATION_DAYS, user_id=user.id)
        flash(_("Account created. An invitation to choose a password was sent to %(email)s "
                "(valid for 7 days).", email=email), "info")
        return redirect(url_for("admin.users"))
    flash(_("Account created. Send this link to %(name)s so they choose a password (valid "
            "for 7 days): %(link)s", name=user.name, link=link), "info")
    return redirect(url_for("admin.users"))


@bp.route("/usuarios/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> Response | str | tuple[str, int]:
    catalog = get_ctx().catalog
    user = accounts.get_user(catalog, user_id)
    if request.method == "GET":
        return render_template("admin_user.html", user=user, roles=list(Role), link=None)
    form = request.form
    if form.get("action") == "link":
        return render_template("admin_user.html", user=user, roles=list(Role),
                               link=invitation_link(user.id, user.session_epoch))
    try:
        accounts.update_user(
            catalog, user_id, role=_role(form.get("role")), active=form.get("active") == "on",
            display_name=form.get("display_name", ""), email=form.get("email", ""),
        )
    except AccountError as exc:
        flash(account_message(exc), "error")
        return render_template("admin_user.html", user=user, roles=list(Role), link=None), 400
    flash(_("The account was saved."), "info")
    return redirect(url_for("admin.users"))


@bp.get("/cola")
def queue() -> str:
    ctx = get_ctx()
    data = catalog_service.summary(ctx.catalog, failures=100)
    return render_template("admin_queue.html", data=data,
                           running=queries.running_jobs(ctx.catalog))


@bp.post("/cola/reintentar")
def retry() -> Response:
    ctx = get_ctx()
    max_attempts = ctx.settings.job_max_attempts
    if request.form.get("all"):
        count = catalog_service.reprocess(ctx.catalog, only_failed=True,
                                          max_attempts=max_attempts)
    else:
        asset_id = bounded_int(request.form.get("asset_id"))
        if asset_id is None:
            abort(400)
        count = queries.retry_asset(ctx.catalog, asset_id, max_attempts)
    flash(_("%(n)d material(s) queued again.", n=count), "info")
    return redirect(url_for("admin.queue"))
