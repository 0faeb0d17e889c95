"""Rights and consent: blockers, consent validity, expiry and revocation, what the public sees."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from dam.context import Context
from dam.curation import consent
from dam.curation.actor import Actor
from dam.curation.audit import asset_history
from dam.curation.consent import ConsentDraft, ConsentError
from dam.curation.rights import (
    RightsError,
    local_to_utc,
    public_clause,
    publication_blockers,
    set_rights,
)
from dam.curation.workflow import change_state
from dam.enums import WorkflowState as S
from dam.models import Asset, utcnow
from tests.curation.test_workflow import make_assets, make_users

NOW = dt.datetime(2025, 3, 14, 18, 0, tzinfo=dt.UTC)
LICENCES = ("CC-BY-4.0", "todos-los-derechos")


@pytest.fixture
def users(any_ctx: Context) -> dict[str, Actor]:
    return make_users(any_ctx)


def blocker_codes(ctx: Context, asset_id: int, now: dt.datetime = NOW) -> list[str]:
    with ctx.catalog.read() as session:
        return [b.code for b in publication_blockers(session, session.get(Asset, asset_id), now)]


def public_ids(ctx: Context, now: dt.datetime = NOW) -> set[int]:
    with ctx.catalog.read() as session:
        return set(session.scalars(select(Asset.id).where(public_clause(now))))


def record(ctx: Context, actor: Actor, document: int, assets: list[int], **kw: object) -> int:
    draft = ConsentDraft(document_asset_id=document, persons=kw.pop("persons", ["Ana Peña"]),
                         **kw)  # type: ignore[arg-type]
    with ctx.catalog.write() as session:
        form = consent.create_consent(session, actor, draft)
        consent.cover_assets(session, actor, form.id, assets)
        return form.id


def test_minors_need_a_valid_consent_for_minors(any_ctx: Context, users: dict[str, Actor]
                                                ) -> None:
    [doc] = make_assets(any_ctx, 1)
    [photo] = make_assets(any_ctx, 1, contains_minors=True)
    editor = users["editora"]
    assert blocker_codes(any_ctx, photo) == ["minors_without_consent"]
    record(any_ctx, editor, doc, [photo])  # an adult's form does not cover a minor
    assert blocker_codes(any_ctx, photo) == ["minors_without_consent"]
    record(any_ctx, editor, doc, [photo], covers_minor=True, guardian="Rosa Peña",
           expires_on=dt.date(2025, 3, 31))
    assert blocker_codes(any_ctx, photo) == []
    # Valid through its expiry date (Mexico City's calendar), expired the day after.
    assert blocker_codes(any_ctx, photo, dt.datetime(2025, 4, 1, 5, 59, tzinfo=dt.UTC)) == []
    assert blocker_codes(any_ctx, photo, dt.datetime(2025, 4, 1, 6, 1, tzinfo=dt.UTC)) == [
        "consent_expired"]


def test_a_revoked_consent_blocks_at_once(any_ctx: Context, users: dict[str, Actor]) -> None:
    [doc] = make_assets(any_ctx, 1)
    [photo] = make_assets(any_ctx, 1, workflow_state=S.PUBLISHED)
    form_id = record(any_ctx, users["editora"], doc, [photo])
    assert blocker_codes(any_ctx, photo) == [] and photo in public_ids(any_ctx)
    with any_ctx.catalog.write() as session:
        consent.revoke(session, users["editora"], form_id, NOW)
    assert blocker_codes(any_ctx, photo) == ["consent_revoked"]
    assert photo not in public_ids(any_ctx)
    with any_ctx.catalog.read() as session:
        assert [e.field for e in asset_history(session, doc)] == ["revoked_at", "consent_form"]


def test_only_editors_revoke_and_forms_need_a_guardian_for_minors(
        any_ctx: Context, users: dict[str, Actor]) -> None:
    [doc] = make_assets(any_ctx, 1, owner=users["foto1"])
    form_id = record(any_ctx, users["foto1"], doc, [])
    with pytest.raises(ConsentError) as refused, any_ctx.catalog.write() as session:
        consent.revoke(session, users["foto1"], form_id, NOW)
    assert refused.value.code == "not_allowed"
    with pytest.raises(ConsentError, match="guardian"):
        record(any_ctx, users["editora"], doc, [], covers_minor=True)
    with pytest.raises(ConsentError, match="does not exist"):
        record(any_ctx, users["editora"], 999_999, [])


def test_photographers_link_only_their_own_photos(any_ctx: Context, users: dict[str, Actor]
                                                  ) -> None:
    [doc] = make_assets(any_ctx, 1, owner=users["foto1"])
    [theirs] = make_assets(any_ctx, 1, owner=users["foto2"])
    with pytest.raises(ConsentError) as refused:
        record(any_ctx, users["foto1"], doc, [theirs])
    assert refused.value.code == "not_allowed"


def test_cover_person_ignores_accents_and_case(any_ctx: Context, users: dict[str, Actor]) -> None:
    [doc] = make_assets(any_ctx, 1)
    shown = make_assets(any_ctx, 2, persons_shown=["JOSÉ  Peña"])
    other = make_assets(any_ctx, 1, persons_shown=["Josefina Peña"])
    form_id = record(any_ctx, users["editora"], doc, [], persons=["José Peña"])
    with any_ctx.catalog.write() as session:
        added = consent.cover_person(session, users["editora"], form_id, "jose pena")
        again = consent.cover_person(session, users["editora"], form_id, "José Peña")
    assert sorted(added) == shown and again == []
    with any_ctx.catalog.read() as session:
        assert consent.covered_ids(session, form_id) == shown
        assert other[0] not in consent.covered_ids(session, form_id)


def test_set_rights_checks_licence_role_and_audits(any_ctx: Context, users: dict[str, Actor]
                                                   ) -> None:
    [photo] = make_assets(any_ctx, 1, owner=users["foto1"])
    embargo = local_to_utc(dt.datetime(2025, 3, 20, 9, 30))  # Mexico City, UTC-6
    assert embargo == dt.datetime(2025, 3, 20, 15, 30, tzinfo=dt.UTC)
    with any_ctx.catalog.write() as session:
        result = set_rights(session, users["editora"], [photo],
                            {"licence": "CC-BY-4.0", "embargo_until": embargo},
                            licences=LICENCES)
        assert result.changed == [photo]
        with pytest.raises(RightsError):
            set_rights(session, users["editora"], [photo], {"licence": "MIT"}, licences=LICENCES)
    with any_ctx.catalog.write() as session:
        # Photographers may flag minors and sensitive on their own photos, nothing else.
        flags = set_rights(session, users["foto1"], [photo], {"contains_minors": True},
                           licences=LICENCES)
        licence = set_rights(session, users["foto1"], [photo], {"licence": None},
                             licences=LICENCES)
        other = set_rights(session, users["foto2"], [photo], {"sensitive": True},
                           licences=LICENCES)
    assert flags.changed == [photo]
    assert [r.reason for r in licence.refused] == ["not_allowed"]
    assert [r.reason for r in other.refused] == ["not_owner"]
    with any_ctx.catalog.read() as session:
        asset = session.get(Asset, asset_id := photo)
        assert asset.licence == "CC-BY-4.0" and asset.contains_minors
        assert asset.edit_version == 3
        fields = [(e.action, e.field) for e in asset_history(session, asset_id)]
    assert fields == [("rights", "contains_minors"), ("rights", "embargo_until"),
                      ("rights", "licence")]


def test_public_clause_follows_every_rule(any_ctx: Context, users: dict[str, Actor]) -> None:
    published = {"workflow_state": S.PUBLISHED}
    [clear] = make_assets(any_ctx, 1, **published)
    [draft] = make_assets(any_ctx, 1)
    [internal] = make_assets(any_ctx, 1, internal_only=True, **published)
    [embargoed] = make_assets(any_ctx, 1, embargo_until=NOW + dt.timedelta(hours=1), **published)
    [lifted] = make_assets(any_ctx, 1, embargo_until=NOW - dt.timedelta(hours=1), **published)
    [minors, minors_ok] = make_assets(any_ctx, 2, contains_minors=True, **published)
    [doc] = make_assets(any_ctx, 1)
    record(any_ctx, users["editora"], doc, [minors_ok], covers_minor=True, guardian="Tutor")
    assert public_ids(any_ctx) == {clear, lifted, minors_ok}
    assert embargoed in public_ids(any_ctx, NOW + dt.timedelta(hours=2))
    assert {draft, internal, minors}.isdisjoint(public_ids(any_ctx, NOW + dt.timedelta(days=9)))


def test_an_embargo_lifts_while_the_server_runs(any_ctx: Context, users: dict[str, Actor]) -> None:
    until = utcnow() + dt.timedelta(seconds=2)
    [photo] = make_assets(any_ctx, 1, workflow_state=S.APPROVED, embargo_until=until)
    editor = users["editora"]
    with any_ctx.catalog.write() as session:
        refused = change_state(session, editor, [photo], S.PUBLISHED, utcnow())
    assert [b.code for b in refused.refused[0].blockers] == ["embargoed"]
    time.sleep(max(0.0, (until - utcnow()).total_seconds()) + 0.2)
    with any_ctx.catalog.write() as session:
        moved = change_state(session, editor, [photo], S.PUBLISHED, utcnow())
    assert moved.changed == [photo]
    assert photo in public_ids(any_ctx, utcnow())


def test_licences_setting_from_environment_and_default() -> None:
    from dam.config import load_settings
    from dam.errors import ConfigError

    settings = load_settings(env={"DAM_LICENCES": "CC-BY-4.0=CC BY 4.0; propia=Uso interno",
                                  "DAM_DEFAULT_LICENCE": "propia"})
    assert settings.licences.codes == ("CC-BY-4.0", "propia")
    assert settings.licences.label("propia") == "Uso interno"
    with pytest.raises(ConfigError, match="default_licence"):
        load_settings(env={"DAM_DEFAULT_LICENCE": "MIT"})
    with pytest.raises(ConfigError, match="licences"):
        load_settings(env={"DAM_LICENCES": "sin-etiqueta"})


def test_index_documents_carry_state_and_restriction_words() -> None:
    from types import SimpleNamespace

    from dam.search.documents import build_document

    def doc(**values: object):  # type: ignore[no-untyped-def]
        base = {"id": 1, "workflow_state": S.APPROVED, "embargo_until": None,
                "internal_only": False, "contains_minors": False, "sensitive": False}
        return build_document(SimpleNamespace(**{**base, **values})).keywords

    assert doc()["workflow"] == ["aprobado"] and doc()["rights"] == ["libre"]
    future = utcnow() + dt.timedelta(days=1)
    assert doc(embargo_until=future, contains_minors=True)["rights"] == ["embargado", "menores"]
    assert doc(embargo_until=utcnow() - dt.timedelta(days=1))["rights"] == ["libre"]
