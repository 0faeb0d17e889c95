"""The cheap link builders give exactly what url_for gives, under a prefix too."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from web.links import asset_href, file_href, search_href

KEYS = [
    "renditions/ab/cd/abcdef/thumbnail.jpg",
    "renditions/ab/cd/abc def/página 1.webp",
    "originals/a+b/c&d=e/f;g@h:i/~j!k$l'm(n)o*p,q",
    "renditions/x/%41/#frag?query/\u00f1",
]
PARAMS = [
    [],
    [("q", "mercado")],
    [("q", "año:2025 \"mercado sobre ruedas\" -estado:embargado"), ("area", "Dirección General")],
    [("q", ""), ("tipo", "photo"), ("tipo", "video"), ("orden", "taken_desc")],
    [("q", "a&b=c?d/e:f@g!h$i'j(k)l*m,n;o+p%q#r~s")],
]


@pytest.mark.parametrize("script_root", ["", "/acervo"])
def test_links_equal_url_for(app: Flask, script_root: str) -> None:
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": script_root}):
        for asset_id in (1, 42, 1_000_000):
            assert asset_href(asset_id) == url_for("assets.show", asset_id=asset_id)
        for key in KEYS:
            for version in (0, 1_746_000_000):
                assert file_href(key, version) == url_for("files.serve", key=key, v=version)
        for params in PARAMS:
            grouped: dict[str, list[str]] = {}
            for name, value in params:
                grouped.setdefault(name, []).append(value)
            assert search_href(params) == url_for("search.page", **grouped)


def test_a_sidebar_toggle_link_equals_the_search_with_that_value_added_or_removed(
        app: Flask) -> None:
    """The sidebar's links, built from parts encoded once, equal the search's URL rebuilt with
    the filter changed (page 1, the toggled parameter last, repeats kept)."""
    import random  # noqa: PLC0415

    from werkzeug.datastructures import MultiDict  # noqa: PLC0415

    from web.search import _Toggles, _url  # noqa: PLC0415

    rng = random.Random(7)
    keys = ["q", "area", "evento", "pagina", "orden", "tipo"]
    values = ["a b", "Dirección & Obras", "x/y", "ñ", "1", "mercado?", "a+b=c"]
    with app.test_request_context("/", environ_base={"SCRIPT_NAME": "/acervo"}):
        for _ in range(300):
            args = MultiDict([(rng.choice(keys), rng.choice(values))
                              for _ in range(rng.randint(0, 6))])
            toggles = _Toggles(args)
            for param in ("area", "evento", "tipo", "q"):
                for value in values[:4]:
                    old = args.getlist(param)
                    new = [v for v in old if v != value] if value in old else [*old, value]
                    assert toggles.url(param, value) == _url(args, **{param: new})
