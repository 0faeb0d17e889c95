"""Caption templates and =codes: what a batch caption looks like when some values are missing."""

from __future__ import annotations

import pytest

from dam.curation.templates import TemplateError, expand_codes, fill_template, template_variables

BODY = "{fotografo} / {evento}, {lugar}, {fecha}."


def test_every_value_present() -> None:
    values = {"fotografo": "Ana Peña", "evento": "Inauguración del mercado",
              "lugar": "Santa Cruz Meyehualco", "fecha": "3 de marzo de 2025"}
    assert fill_template(BODY, values) == (
        "Ana Peña / Inauguración del mercado, Santa Cruz Meyehualco, 3 de marzo de 2025.")


@pytest.mark.parametrize(("values", "expected"), [
    ({"fotografo": "Ana", "evento": "Inauguración"}, "Ana / Inauguración."),
    ({"evento": "Inauguración", "fecha": "3 de marzo"}, "Inauguración, 3 de marzo."),
    ({"fotografo": "Ana", "lugar": "Aculco"}, "Ana / Aculco."),
    ({}, "."),
])
def test_missing_values_leave_no_stray_punctuation(values: dict[str, str], expected: str) -> None:
    assert fill_template(BODY, values) == expected


def test_unknown_and_malformed_templates_are_refused_by_name() -> None:
    with pytest.raises(TemplateError, match="{lugra}"):
        template_variables("{evento} en {lugra}")
    with pytest.raises(TemplateError, match="malformed"):
        template_variables("{evento")


def test_codes_expand_case_insensitively_and_unknown_ones_stay() -> None:
    codes = {"cb": "Cerro de la Estrella", "scm": "Santa Cruz Meyehualco"}
    assert expand_codes("Visita a =CB y =scm; =zz sigue; correo@=cb no", codes) == (
        "Visita a Cerro de la Estrella y Santa Cruz Meyehualco; =zz sigue; correo@=cb no")
