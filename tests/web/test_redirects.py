"""`next=` (and the loupe's `volver=`) lead only to paths of this site, whatever is sent."""

from __future__ import annotations

import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, csrf, login, post_form, state_of
from web import create_app
from web.redirects import local_path

HOSTILE = [
    "//evil.example/x", "///evil.example", "////evil.example", "/\\evil.example",
    "\\\\evil.example", "/\\/evil.example", "\\/evil.example", "/\t/evil.example",
    "/\r\n/evil.example", "/\n/evil.example", "/x\r\nSet-Cookie: a=b", "/%09/evil.example",
    "/%0d%0a/evil.example", "/%5Cevil.example", "/%2F/evil.example", "%2F%2Fevil.example",
    "https:evil.example", "https://evil.example/", "http:/evil.example", "//evil.example:443",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", " //evil.example",
    "\t//evil.example", "evil.example", "./evil", "?next=//evil", "\x00/", "/\x00/evil.example",
    "/\u202e/elpmaxe.live", "/\u2028/evil.example", "/\u200b/evil.example",
    "/" + "a" * 5000,
]
SAFE = ["/", "/buscar?q=mercado+sobre+ruedas", "/eventos/Inauguración del mercado",
        "/activos/3?volver=/buscar%3Fq%3Dx"]


def _as_browser_reads(location: str) -> str:
    """What a browser makes of a Location: tab, CR and LF dropped, ``\\`` read as ``/``."""
    return location.strip().replace("\t", "").replace("\r", "").replace("\n", "").replace(
        "\\", "/")


def _same_site(location: str) -> bool:
    seen = _as_browser_reads(location)
    parts = urlsplit(seen)
    return (seen.startswith("/") and not seen.startswith("//") and not parts.scheme
            and not parts.netloc and not any(unicodedata.category(ch) == "Cc" for ch in seen))


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_refuses_every_other_site(target: str) -> None:
    assert local_path(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_the_helper_keeps_paths_of_this_site(target: str) -> None:
    assert local_path(target) == target


@pytest.fixture(scope="module")
def site(template_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for every value (these tests change nothing but sessions)."""
    settings = make_settings(tmp_path_factory.mktemp("redirects"))
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_catalog, Path(settings.data_dir) / "catalog.sqlite3")
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    state_of(application).close()


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_sends_hostile_next_home(site: Flask, target: str) -> None:
    app = site
    client = app.test_client()
    response = client.post("/entrar", data={"username": "prensa", "password": PASSWORD,
                                            "next": target, "csrf_token": csrf(client)})
    assert response.status_code == 302 and _same_site(response.headers["Location"])
    again = client.get("/entrar", query_string={"next": target})  # already signed in
    assert again.status_code == 302 and _same_site(again.headers["Location"])
    form = app.test_client().get("/entrar", query_string={"next": target})
    assert form.status_code == 200 and '<input type="hidden" name="next" value="">' in form.text
    language = post_form(client, "/idioma", lang="en", next=target)
    assert language.status_code == 302 and _same_site(language.headers["Location"])


def test_a_local_next_is_followed(site: Flask) -> None:
    client = site.test_client()
    response = client.post("/entrar", data={"username": "prensa", "password": PASSWORD,
                                            "next": "/buscar?q=x", "csrf_token": csrf(client)})
    assert response.headers["Location"] == "/buscar?q=x"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/x\r\nSet-Cookie: a=b", "/\\evil"])
def test_forms_elsewhere_use_the_same_helper(site: Flask, target: str) -> None:
    """The workflow's forms (and collections, publishing, the loupe) refuse the same values."""
    editor = site.test_client()
    login(editor, "editora")
    moved = post_form(editor, "/seleccion/estado", state="reviewed", asset_id="999999",
                      next=target)
    assert moved.status_code == 303 and _same_site(moved.headers["Location"])
