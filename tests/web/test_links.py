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
