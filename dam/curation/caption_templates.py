"""Caption templates shared by the office: saved, validated, listed and previewed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dam.curation import audit
from dam.curation.actor import Actor
from dam.curation.templates import TemplateError, fill_template, template_variables
from dam.enums import Role
from dam.errors import NotFoundError
from dam.models import CaptionTemplate

MAX_NAME = 200
MAX_BODY = 10_000
# What a preview fills a template with when no asset is at hand.
SAMPLE_VALUES: dict[str, str] = {
    "evento": "Inauguración del mercado",
    "fecha": "14 de marzo de 2025",
    "lugar": "Santa Cruz Meyehualco",
    "fotografo": "Ana Peña",
    "area": "Dirección General de Obras",
    "colonia": "San Lorenzo Tezonco",
    "persona": "María López",
    "año": "2025",
}


class TemplatePermissionError(TemplateError):
    """Someone who is not an administrator tried to change the shared templates."""


def _require_admin(actor: Actor) -> None:
    if not actor.at_least(Role.ADMIN):
        raise TemplatePermissionError("only administrators manage the caption templates")


def _clean(session: Session, name: str, body: str, template_id: int | None) -> tuple[str, str]:
    name = " ".join((name or "").split())
    body = (body or "").strip()
    if not name:
        raise TemplateError("a template needs a name")
    if len(name) > MAX_NAME:
        raise TemplateError(f"a template name has at most {MAX_NAME} characters")
    if not body:
        raise TemplateError("a template needs a text")
    if len(body) > MAX_BODY:
        raise TemplateError(f"a template has at most {MAX_BODY} characters")
    template_variables(body)  # names the unknown variable, or the malformed brace
    other = session.scalars(select(CaptionTemplate).where(CaptionTemplate.name == name)).first()
    if other is not None and other.id != template_id:
        raise TemplateError(f"a template named {name!r} already exists")
    return name, body


def get_template(session: Session, template_id: int) -> CaptionTemplate:
    template = session.get(CaptionTemplate, template_id)
    if template is None:
        raise NotFoundError(f"caption template {template_id} does not exist")
    return template


def list_templates(session: Session) -> Sequence[CaptionTemplate]:
    """Every template, by name."""
    return session.scalars(select(CaptionTemplate).order_by(CaptionTemplate.name)).all()


def create_template(session: Session, actor: Actor, name: str, body: str) -> CaptionTemplate:
    """A new shared template; TemplateError names an unknown variable or a taken name."""
    _require_admin(actor)
    name, body = _clean(session, name, body, None)
    template = CaptionTemplate(name=name, body=body, created_by=actor.user_id)
    session.add(template)
    session.flush()
    audit.record(session, actor, "caption_template", field="add", new={"name": name, "body": body},
                 detail=f"caption template #{template.id} created: {name}")
    return template


def update_template(session: Session, actor: Actor, template_id: int, name: str,
                    body: str) -> CaptionTemplate:
    """Rename or rewrite a template (old and new values are audited)."""
    _require_admin(actor)
    template = get_template(session, template_id)
    name, body = _clean(session, name, body, template_id)
    for fieldname, new in (("name", name), ("body", body)):
        old = getattr(template, fieldname)
        if old != new:
            setattr(template, fieldname, new)
            audit.record(session, actor, "caption_template", field=fieldname, old=old, new=new,
                         detail=f"caption template #{template.id}: {name}")
    return template


def delete_template(session: Session, actor: Actor, template_id: int) -> None:
    """Remove a template; captions already written from it stay as they are."""
    _require_admin(actor)
    template = get_template(session, template_id)
    audit.record(session, actor, "caption_template", field="delete",
                 old={"name": template.name, "body": template.body},
                 detail=f"caption template #{template.id} deleted: {template.name}")
    session.delete(template)


def preview(body: str, values: Mapping[str, str | None] | None = None) -> str:
    """The template filled with ``values`` (sample values for those not given)."""
    return fill_template(body, {**SAMPLE_VALUES, **(values or {})})
