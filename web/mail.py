"""The app's emails, in Spanish (plain text and HTML), queued through dam.mail.

Rendered with a Jinja environment of their own (``templates/mail``), so housekeeping can write
them outside a request; links are built by the caller (in a request: ``url_for(..., _external)``,
elsewhere: ``dam.mail.base_url``).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from dam.config import Settings
from dam.mail import base_url, queue_mail
from dam.models import MailMessage

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "mail"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def compose(session: Session, settings: Settings, *, to: str, name: str, kind: str,
            subject: str, lines: list[str], link: str | None = None, link_label: str = "",
            user_id: int | None = None, notice: bool = False,
            dedupe_key: str | None = None) -> MailMessage | None:
    """Queue one mail to ``to`` in ``session``'s transaction (None if already queued)."""
    data = {"greeting": f"Hola, {name}:", "lines": lines, "link": link,
            "link_label": link_label, "subject": subject, "agency": settings.agency_name,
            "notice": notice, "account_url": f"{base_url(settings)}/cuenta"}
    return queue_mail(session, to=to, subject=subject, kind=kind, user_id=user_id,
                      dedupe_key=dedupe_key,
                      text=_env.get_template("message.txt").render(data),
                      html=_env.get_template("message.html").render(data))


def invitation(session: Session, settings: Settings, *, to: str, name: str, username: str,
               link: str, days: int, user_id: int) -> None:
    compose(session, settings, to=to, name=name, kind="invitation", user_id=user_id,
            subject="Su cuenta en Acervo",
            lines=[f"Se creó para usted una cuenta en Acervo, el archivo de fotografía y video de "
                   f"{settings.agency_name}, con el nombre de usuario «{username}».",
                   f"Elija su contraseña con el enlace de abajo; vale {days} días y sirve una "
                   "sola vez."],
            link=link, link_label="Elegir mi contraseña")


def password_reset(session: Session, settings: Settings, *, to: str, name: str, username: str,
                   link: str, user_id: int) -> None:
    compose(session, settings, to=to, name=name, kind="password_reset", user_id=user_id,
            subject="Restablecer su contraseña de Acervo",
            lines=[f"Alguien (quizá usted) pidió restablecer la contraseña de la cuenta "
                   f"«{username}».",
                   "El enlace de abajo vale 1 hora y sirve una sola vez. Al usarlo se cierran "
                   "todas las sesiones de la cuenta y se revocan sus tokens de API.",
                   "Si usted no lo pidió, ignore este mensaje: su contraseña no cambia."],
            link=link, link_label="Elegir una contraseña nueva")
