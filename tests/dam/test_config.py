"""Settings: precedence, typed conversion, validation messages, documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from dam.config import SETTINGS, load_settings
from dam.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_put_everything_under_the_data_folder(tmp_path: Path) -> None:
    s = load_settings(env={}, base_dir=tmp_path)
    assert s.data_dir == tmp_path / "var"
    assert s.catalog_url == f"sqlite:///{tmp_path / 'var' / 'catalog.sqlite3'}"
    assert s.store_url == (tmp_path / "var" / "store").as_uri()
    assert s.index_path == tmp_path / "var" / "index"
    assert s.rendition_sizes == {"thumbnail": 400, "preview": 1440}
    assert s.workers >= 1


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "dam.toml"
    toml.write_text("[dam]\nthumbnail_size = 300\npreview_size = 1200\nworkers = 3\n")
    env = {"DAM_PREVIEW_SIZE": "1000", "DAM_UNRELATED": "x", "OTHER": "1"}
    s = load_settings(env=env, base_dir=tmp_path, workers=5)
    assert (s.thumbnail_size, s.preview_size, s.workers) == (300, 1000, 5)
    assert s.sources["thumbnail_size"].startswith("file")
    assert s.sources["preview_size"] == "environment DAM_PREVIEW_SIZE"


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('store_url = "s3://acervo/originales"\ns3_endpoint_url = "http://x:9000"\n')
    s = load_settings(env={"DAM_CONFIG": str(other)}, base_dir=tmp_path)
    assert s.store_url == "s3://acervo/originales"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DAM_WORKERS": "many"}, "'workers' from environment DAM_WORKERS must be int"),
        ({"DAM_STORE_URL": "ftp://x/y"}, "must start with file:// or s3://"),
        ({"DAM_STORE_URL": "s3://"}, "needs a bucket"),
        ({"DAM_CATALOG_URL": "mysql://x"}, "sqlite:// or postgresql://"),
        ({"DAM_THUMBNAIL_SIZE": "2000"}, "must not exceed preview_size"),
        ({"DAM_RENDITION_FORMAT": "gif"}, "'jpeg' or 'webp'"),
        ({"DAM_JOB_MAX_ATTEMPTS": "0"}, "at least 1"),
        ({"DAM_WEB_PROCESSES": "-1"}, "between 0 (one per CPU core) and 64"),
        ({"DAM_OPEN_DATA_LICENCE_URL": "datos.gob.mx"}, "must be an http or https address"),
        ({"DAM_OCR_LANGUAGE": "spa; rm"}, "Tesseract language codes joined by +"),
        ({"DAM_OCR_MIN_CONFIDENCE": "101"}, "between 0 and 100"),
        ({"DAM_OCR_DPI": "1200"}, "between 72 and 600"),
        ({"DAM_OCR_TESSDATA_PATH": "/no/such/tessdata"}, "no such folder"),
    ],
)
def test_invalid_values_are_refused_with_the_setting_and_its_source(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env=env, base_dir=tmp_path)


def test_unknown_setting_in_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dam.toml").write_text("thumbnail_sise = 3\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(env={}, base_dir=tmp_path)


def test_broken_toml_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "dam.toml").write_text("workers = = 2\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(env={}, base_dir=tmp_path)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`DAM_{s.name.upper()}`" not in readme]
    assert not missing, f"settings missing from README: {missing}"
