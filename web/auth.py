"""Signing in and out, the account page (password, language, API tokens), invitations."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, or_, select

from dam.mail import mail_enabled
from dam.models import User
from web import accounts, notices
from web import mail as mails
from web.access import current_session_id, sign_in, sign_out
from web.accounts import AccountError, CurrentUser
from web.errors import RequestError
from web.i18n import LANGUAGES
from web.redirects import local_path, safe_next
from web.security import client_address
from web.state import get_ctx, state
from web.user_admin import reset_password_by_id

bp = Blueprint("auth", __name__)

INVITATION_DAYS = 7
RESET_SECONDS = 3600  # a password reset link is valid for 1 hour (and once)


def account_message(exc: AccountError) -> str:
    return {
        "username": _("User names have 2 to 64 characters: lowercase letters, digits, '.', '_' "
                      "or '-'."),
        "username_taken": _("That user name is taken."),
        "password_short": _("The password needs at least %(n)d characters.",
                            n=accounts.MIN_PASSWORD_LENGTH),
        "password_username": _("The password must not be the user name."),
        "password_wrong": _("The current password is not right."),
        "last_admin": _("The last active administrator cannot be demoted or disabled."),
    }.get(exc.code, str(exc))


def _invitations() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="acervo-invitation")


def invitation_link(user_id: int, epoch: int) -> str:
    token = _invitations().dumps({"u": user_id, "e": epoch})
    return url_for("auth.welcome", token=token, _external=True)


def _resets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="acervo-password-reset")


def reset_link(user_id: int, epoch: int) -> str:
    return url_for("auth.reset_password", token=_resets().dumps({"u": user_id, "e": epoch}),
                   _external=True)


@bp.route("/entrar/olvido", methods=["GET", "POST"])
def forgot_password() -> Response | str | tuple[str, int]:
    """Ask for a reset link by user name or email: the same answer whether or not it exists."""
    ctx = get_ctx()
    if not mail_enabled(ctx.settings):
        return render_template("forgot_password.html", mail=False)
    if request.method == "GET":
        return render_template("forgot_password.html", mail=True)
    who = request.form.get("who", "").strip().lower()[:320]
    limiter = state().login_limiter
    address = client_address()
    attempt = limiter.reserve({f"reset:{who}"[:200]: limiter.per_account,
                               f"reset-ip:{address[:64]}": limiter.per_account * 2})
    if attempt.retry_after:
        raise RequestError(429, "too_many_attempts",
                           _("Too many requests. Try again in %(m)d minutes.",
                             m=max(1, attempt.retry_after // 60)),
                           retry_after=attempt.retry_after)
    if who:
        with ctx.catalog.write() as session:
            user = session.scalars(select(User).where(
                or_(User.username == who, func.lower(User.email) == who),
                User.active.is_(True), User.email.is_not(None)).limit(1)).first()
            if user is not None and user.email:
                mails.password_reset(session, ctx.settings, to=user.email,
                                     name=user.display_name or user.username,
                                     username=user.username, user_id=user.id,
                                     link=reset_link(user.id, user.session_epoch))
    flash(_("If an account with that name or address exists, a link to choose a new password "
            "was sent to its email. It is valid for one hour."), "info")
    return redirect(url_for("auth.login"))


def _user_of_link(serializer: URLSafeTimedSerializer, token: str, max_age: int) -> CurrentUser:
    """The account a signed link (invitation or password reset) is for, or a 404 that says the
    link is not valid: expired, forged, or already used (its account's epoch moved on)."""
    try:
        data = serializer.loads(token, max_age=max_age)
        user = accounts.load_user(get_ctx().catalog, int(data["u"]), int(data["e"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        user = None
    if user is None:
        raise RequestError(404, "invitation", _("This link is not valid or was already used."))
    return user


def _chosen_password() -> str | None:
    """The new password of a POSTed choose-a-password form, or None to show the form (a GET,
    or two passwords that differ, which is said)."""
    if request.method == "GET":
        return None
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        flash(_("The new passwords do not match."), "error")
        return None
    return new


def _password_form(user: CurrentUser) -> str | tuple[str, int]:
    """The choose-a-password page; 400 when a POST was refused."""
    page = render_template("welcome.html", invited=user)
    return page if request.method == "GET" else (page, 400)


@bp.route("/entrar/nueva/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    user = _user_of_link(_resets(), token, RESET_SECONDS)
    new = _chosen_password()
    if new is None:
        return _password_form(user)
    try:
        reset_password_by_id(get_ctx().catalog, user.id, user.epoch, new)
    except AccountError as exc:
        if exc.code == "link":
            raise RequestError(404, "invitation",
                               _("This link is not valid or was already used.")) from exc
        flash(account_message(exc), "error")
        return _password_form(user)
    flash(_("Your password was changed."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/entrar", methods=["GET", "POST"])
def login() -> Response | str:
    if request.method == "GET":
        if g.user is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("login.html", next=local_path(request.args.get("next")) or "")
    username = request.form.get("username", "").strip().lower()[:64]
    password = request.form.get("password", "")[:1024]
    limiter = state().login_limiter
    attempt = limiter.attempt(username, client_address())  # counted before the password
    if attempt.retry_after:
        wait = attempt.retry_after
        raise RequestError(429, "too_many_attempts",
                           _("Too many failed sign-ins. Try again in %(m)d minutes.",
                             m=max(1, wait // 60)), retry_after=wait)
    user = accounts.authenticate(get_ctx().catalog, username, password)
    if user is None:  # the attempt stays counted as a failure
        flash(_("The user name or the password is not right."), "error")
        return render_template("login.html", next=local_path(request.form.get("next")) or "",
                               username=username), 401
    limiter.succeed(attempt)
    sign_in(user)
    if user.locale in LANGUAGES:
        session["lang"] = user.locale
    return redirect(safe_next(request.form.get("next")))


@bp.post("/salir")
def logout() -> Response:
    sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def _notice_labels() -> list[tuple[str, str]]:
    return [(notices.BATCH_DONE, _("An upload batch of mine finished processing")),
            (notices.SHARE_USED, _("A share link of mine was opened or downloaded")),
            (notices.SAVED_SEARCH, _("New material in my saved searches (daily)")),
            (notices.EMBARGO_ENDING, _("An embargo of material I approved ends within a day"))]


@bp.get("/cuenta")
def account(new_token: str | None = None) -> str:
    catalog = get_ctx().catalog
    tokens = accounts.list_tokens(catalog, g.user.id)
    me = accounts.get_user(catalog, g.user.id)
    return render_template("account.html", tokens=tokens, new_token=new_token,
                           notices=_notice_labels(), notices_off=me.notices_off or [],
                           email=me.email)


@bp.post("/cuenta/avisos")
def set_notices() -> Response:
    with get_ctx().catalog.write() as session:
        notices.set_notices(session, g.user.id, request.form.getlist("notice"))
    flash(_("Your notices were saved."), "info")
    return redirect(url_for("auth.account"))


@bp.post("/cuenta/contrasena")
def change_password() -> Response | tuple[str, int]:
    user: CurrentUser = g.user
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        flash(_("The new passwords do not match."), "error")
        return account(), 400
    try:
        accounts.change_password(
            get_ctx().catalog, user.id, request.form.get("current_password", ""), new,
            keep_session=current_session_id(),  # this session goes on; every other one ends
        )
    except AccountError as exc:
        flash(account_message(exc), "error")
        return account(), 400
    flash(_("Your password was changed."), "info")
    return redirect(url_for("auth.account"))


@bp.post("/cuenta/tokens")
def create_token() -> str:
    name = request.form.get("name", "").strip() or "script"
    token = accounts.create_token(get_ctx().catalog, g.user.id, name)
    return account(new_token=token)


@bp.post("/cuenta/tokens/<int:token_id>/revocar")
def revoke_token(token_id: int) -> Response:
    if not accounts.revoke_token(get_ctx().catalog, g.user.id, token_id):
        abort(404)
    flash(_("The token was revoked."), "info")
    return redirect(url_for("auth.account"))


@bp.route("/bienvenida/<token>", methods=["GET", "POST"])
def welcome(token: str) -> Response | str | tuple[str, int]:
    user = _user_of_link(_invitations(), token, INVITATION_DAYS * 86400)
    new = _chosen_password()
    if new is None:
        return _password_form(user)
    try:
        changed = accounts.change_password(get_ctx().catalog, user.id, None, new)
    except AccountError as exc:
        flash(account_message(exc), "error")
        return _password_form(user)
    sign_in(changed)
    flash(_("Welcome! Your password is set."), "info")
    return redirect(url_for("browse.index"))


@bp.post("/idioma")
def set_language() -> Response:
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400)
    session["lang"] = lang
    if g.user is not None:
        accounts.set_locale(get_ctx().catalog, g.user.id, lang)
    return redirect(safe_next(request.form.get("next")))
