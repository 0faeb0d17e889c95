"""Email from the durable queue: a message is stored in the catalog with a ``send_mail`` job.

The request (or housekeeping pass) that wants a mail only writes two rows in its own
transaction; a worker sends it (``run_send_mail_job``, declared in the ``dam.jobs`` entry point
group). The mail server being away, refusing for now (4xx) or refusing the credentials is
transient trouble: the job waits with the queue's backoff and keeps its tries, so no mail is
lost while the server is down. A permanent refusal (5xx for the address) fails the job.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dam import queue
from dam.config import Settings
from dam.context import Context
from dam.enums import JobKind
from dam.errors import IngestError
from dam.models import MailMessage, utcnow

log = logging.getLogger(__name__)

JOB_PRIORITY = 20  # before processing: a reset link is awaited by someone at the screen
SMTP_TIMEOUT = 30.0


class MailError(IngestError):
    """A mail could not be sent; ``transient`` when trying later may work."""


def mail_enabled(settings: Settings) -> bool:
    """True when the settings name a mail server (else links are sent by hand)."""
    return bool(settings.smtp_host)


def base_url(settings: Settings) -> str:
    """The app's address for links in mail made outside a request."""
    return (settings.mail_base_url or f"http://{settings.web_host}:{settings.web_port}").rstrip(
        "/")


def sender(settings: Settings) -> str:
    return settings.mail_from or formataddr(("Acervo", f"acervo@{settings.smtp_host}"))


def queue_mail(session: Session, *, to: str, subject: str, text: str, html: str, kind: str,
               user_id: int | None = None, dedupe_key: str | None = None) -> MailMessage | None:
    """Store a message and its job in ``session``'s transaction; None if ``dedupe_key`` was
    already queued (by this or another process)."""
    if dedupe_key is not None and session.scalar(
            select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key)) is not None:
        return None
    try:
        with session.begin_nested():
            job = queue.enqueue(session, JobKind.SEND_MAIL, None, priority=JOB_PRIORITY)
            session.flush()
            message = MailMessage(job_id=job.id, user_id=user_id, kind=kind, to_addr=to[:320],
                                  subject=subject[:300], text_body=text, html_body=html,
                                  dedupe_key=dedupe_key)
            session.add(message)
            session.flush()
    except IntegrityError:  # the same notice, queued meanwhile by another process
        return None
    return message


def build_message(settings: Settings, row: MailMessage) -> EmailMessage:
    """The stored message as MIME: plain text with an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = sender(settings)
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Message-ID"] = make_msgid(domain=settings.smtp_host or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.text_body)
    msg.add_alternative(row.html_body, subtype="html")
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """Hand one message to the mail server; MailError says whether to try again."""
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise MailError(f"the mail server refused the address: {exc.recipients}",
                        transient=all(400 <= c < 500 for c in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"mail server: {exc.smtp_code} {exc.smtp_error!r}",
                        transient=exc.smtp_code < 500 or isinstance(
                            exc, smtplib.SMTPAuthenticationError)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"mail server unavailable: {type(exc).__name__}: {exc}",
                        transient=True) from exc


def run_send_mail_job(ctx: Context, job: queue.ClaimedJob) -> None:
    """The worker's handler for ``send_mail`` jobs: send the job's message once."""
    with ctx.catalog.read() as session:
        row = session.scalars(select(MailMessage).where(MailMessage.job_id == job.id)).first()
        if row is None or row.sent_at is not None:
            return
        session.expunge(row)
    if not mail_enabled(ctx.settings):
        raise MailError("no mail server configured (smtp_host)", transient=True)
    send(ctx.settings, build_message(ctx.settings, row))
    with ctx.catalog.write() as session:
        stored = session.get(MailMessage, row.id)
        if stored is not None:
            stored.sent_at = utcnow()
    log.info("mail %s (%s) sent to %s", row.id, row.kind, row.to_addr)
