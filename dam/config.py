"""Settings: one frozen object built from defaults, an optional TOML file, then DAM_* variables.

Every setting is declared once in ``SETTINGS`` with its type, default and documentation; the
README's settings table is checked against it by a test. Values are converted by their declared
type, never guessed from the string, and validated at start-up with a message that names the
setting and where its value came from.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dam.errors import ConfigError

_LICENCE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Licences(tuple[tuple[str, str], ...]):
    """The licences assets may carry: (code, label) pairs, in the order the UI lists them.

    From TOML: a table (``[dam.licences]`` with ``"CC-BY-4.0" = "CC BY 4.0"``) or a list of
    ``"code=label"`` strings; from the environment: ``code=label`` pairs separated by ``;``.
    """

    def __new__(cls, value: Any = ()) -> Licences:
        if isinstance(value, str):
            value = [part for part in value.split(";") if part.strip()]
        if isinstance(value, Mapping):
            value = list(value.items())
        pairs = [_licence_pair(item) for item in value]
        codes = [code for code, _label in pairs]
        if not pairs or len(set(codes)) != len(codes):
            raise ValueError("licences need at least one entry and unique codes")
        return super().__new__(cls, pairs)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _label in self)

    def label(self, code: str | None) -> str | None:
        """The label of ``code`` (the code itself when it is no longer configured)."""
        return dict(self).get(code, code) if code else None

    def __repr__(self) -> str:
        return repr("; ".join(f"{code}={label}" for code, label in self))


def _licence_pair(item: Any) -> tuple[str, str]:
    if isinstance(item, str):
        code, sep, label = item.partition("=")
        if not sep:
            raise ValueError(f"licence {item!r} must look like code=label")
        item = (code, label)
    if not isinstance(item, list | tuple) or len(item) != 2:
        raise ValueError(f"licence {item!r} must be a code and a label")
    code, label = (str(part).strip() for part in item)
    if not _LICENCE_CODE.fullmatch(code) or not label:
        raise ValueError(f"licence code {code!r} must be letters, digits, . _ - and have a label")
    return code, label


DEFAULT_LICENCES = Licences(
    {"CC-BY-4.0": "CC BY 4.0", "todos-los-derechos": "Todos los derechos reservados"}
)

ENV_PREFIX = "DAM_"
CONFIG_ENV = "DAM_CONFIG"
DEFAULT_CONFIG_FILE = "dam.toml"


@dataclass(frozen=True)
class Setting:
    """One documented setting."""

    name: str
    type: type
    default: Any
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", str, "var", "Folder for the embedded default (catalog, store, index)."),
    Setting(
        "catalog_url",
        str,
        "",
        "SQLAlchemy URL of the catalog. Empty: SQLite at `<data_dir>/catalog.sqlite3`. "
        "Production: `postgresql+psycopg://user@host/db`.",
    ),
    Setting(
        "store_url",
        str,
        "",
        "Object store: `file:///abs/path` or `s3://bucket/prefix`. Empty: `<data_dir>/store`.",
    ),
    Setting("s3_endpoint_url", str, "", "S3 endpoint (MinIO, moto, ...). Empty: AWS default."),
    Setting("s3_region", str, "", "S3 region. Empty: from the usual boto3 sources."),
    Setting(
        "s3_connect_timeout_seconds",
        float,
        3.0,
        "How long an S3 request waits to connect to the endpoint before it gives up (and is "
        "tried again, up to `s3_max_attempts`).",
    ),
    Setting(
        "s3_read_timeout_seconds",
        float,
        30.0,
        "How long an S3 request waits for the endpoint to answer (each part of an answer).",
    ),
    Setting(
        "s3_max_attempts",
        int,
        3,
        "Tries of each S3 request, the first included; then the store is reported unavailable "
        "(at worst after about attempts x (connect + read timeout)).",
    ),
    Setting("index_path", str, "", "Search index folder. Empty: `<data_dir>/index`."),
    Setting(
        "search_engine",
        str,
        "whoosh",
        "Search engine of the index: `whoosh`, or `tantivy` for archives past ~200,000 assets.",
    ),
    Setting(
        "search_sync_seconds",
        float,
        1.0,
        "How often the search index follows the catalog's changes (seconds).",
    ),
    Setting(
        "search_snapshot_hours",
        float,
        24.0,
        "How often a node's housekeeping publishes its search index to the object store, so "
        "that a node joining later starts from it instead of rebuilding (0: never).",
    ),
    Setting("workers", int, 0, "Worker processes for `dam worker`. 0: one per CPU core."),
    Setting(
        "worker_nice",
        int,
        10,
        "Niceness the worker processes take (0-19; 0: as the web): when the CPU is busy "
        "making renditions, pages and searches are answered first.",
    ),
    Setting("thumbnail_size", int, 400, "Long edge of thumbnails, in pixels."),
    Setting("preview_size", int, 1440, "Long edge of previews, in pixels."),
    Setting("rendition_format", str, "jpeg", "Format of renditions: `jpeg` or `webp`."),
    Setting("rendition_quality", int, 82, "Encoder quality of renditions (1-95)."),
    Setting("max_image_pixels", int, 250_000_000, "Larger images are refused as possible bombs."),
    Setting(
        "ffmpeg_path",
        str,
        "",
        "FFmpeg executable for proxies. Empty: `ffmpeg` on the PATH when it can decode the file, "
        "else the one the imageio-ffmpeg package ships.",
    ),
    Setting("proxy_long_edge", int, 720, "Long edge of video proxies (H.264/AAC MP4), in pixels."),
    Setting("storyboard_frames", int, 12, "Frames in a video's storyboard (0: no storyboard)."),
    Setting(
        "media_step_timeout_seconds",
        int,
        120,
        "Time limit of each decoding step (video frames, audio waveform, each PDF step); "
        "each runs in a child process that is killed past it.",
    ),
    Setting(
        "media_step_memory_mb",
        int,
        1536,
        "Memory a decoding step may take on top of its worker's (address space, in MiB).",
    ),
    Setting(
        "pdf_text_max_chars",
        int,
        500_000,
        "Characters of a PDF's text kept for search; the rest is cut (and the cut recorded).",
    ),
    Setting("pdf_page_preview_cap", int, 50, "Pages of a PDF given a page preview."),
    Setting(
        "ocr_language",
        str,
        "spa",
        "Tesseract language model(s) that scanned pages and printed material are read with "
        "(`spa`; several joined by `+`, e.g. `spa+eng`).",
    ),
    Setting(
        "ocr_min_confidence",
        float,
        60.0,
        "Pages whose OCR confidence (mean word confidence, 0-100) is below this are flagged "
        "for review.",
    ),
    Setting("ocr_dpi", int, 300, "Resolution scanned PDF pages are rendered at for OCR."),
    Setting(
        "ocr_tessdata_path",
        str,
        "",
        "Folder of Tesseract's `.traineddata` models. Empty: `$TESSDATA_PREFIX`, else Debian's "
        "(`/usr/share/tesseract-ocr/5/tessdata`).",
    ),
    Setting(
        "publication_match_distance",
        int,
        8,
        "Largest Hamming distance (of 64 bits) between the perceptual hashes of a picture "
        "printed in a publication and an archive photo for them to be linked.",
    ),
    Setting(
        "faces",
        bool,
        True,
        "Find faces in photos and video posters after processing (a lower-priority job) and "
        "group them into people.",
    ),
    Setting(
        "face_group_distance",
        float,
        0.6,
        "Largest Euclidean distance between a face's descriptor (dlib's 128-d ResNet) and a "
        "group's mean for the face to join that group (dlib's usual 0.6; lower: stricter).",
    ),
    Setting(
        "job_lease_seconds",
        int,
        60,
        "How long a claimed job is held before another worker "
        "may take it over (renewed while the job runs). A running gallery publication holds "
        "such a lease too: another node may publish once it runs out.",
    ),
    Setting(
        "job_timeout_seconds", int, 600, "A job running longer than this is killed and retried."
    ),
    Setting(
        "proxy_timeout_seconds",
        int,
        14_400,
        "Time limit of a proxy transcode job: long recordings take hours (4 h: ~6 h of 1080p).",
    ),
    Setting(
        "job_max_attempts",
        int,
        4,
        "Tries before a job is recorded as failed. A try that meets a transient failure "
        "(store, catalog or disk unavailable) is given back: only a worker dying on the job "
        "uses one up; a permanent error (a bad file) fails the job at once.",
    ),
    Setting(
        "job_retry_base_seconds",
        float,
        5.0,
        "First retry delay after a transient failure; doubles on each retry, up to "
        "`job_retry_max_seconds`.",
    ),
    Setting(
        "job_retry_max_seconds",
        float,
        60.0,
        "Longest wait between retries of a job held back by a transient failure; it is "
        "retried for as long as the trouble lasts.",
    ),
    Setting(
        "watch_settle_seconds",
        float,
        5.0,
        "A hot-folder file is taken once it has not grown for this long.",
    ),
    Setting(
        "url_signing_key",
        str,
        "",
        "Secret for time-limited local download URLs. Empty: "
        "generated and kept in `<data_dir>/secret.key`.",
    ),
    Setting("web_host", str, "127.0.0.1", "Address `dam serve` listens on."),
    Setting("web_port", int, 8000, "Port `dam serve` listens on."),
    Setting("web_threads", int, 8, "Request threads of each web server process."),
    Setting(
        "web_processes",
        int,
        0,
        "Web server processes sharing the port (0: one per CPU core, at most 8).",
    ),
    Setting(
        "web_secure_cookies",
        bool,
        False,
        "Send the session cookie only over HTTPS (turn on behind a TLS proxy).",
    ),
    Setting("session_hours", int, 12, "A web session ends after this many hours."),
    Setting(
        "login_attempts",
        int,
        10,
        "Failed sign-ins allowed per account in 15 minutes (from all addresses together).",
    ),
    Setting(
        "login_attempts_per_address",
        int,
        100,
        "Failed sign-ins allowed per client address in 15 minutes, all accounts together "
        "(an office behind one public address shares it).",
    ),
    Setting("smtp_host", str, "",
            "Mail server for invitations, password resets and notices. Empty: no mail (links "
            "are shown to be sent by hand)."),
    Setting("smtp_port", int, 587, "Port of the mail server (587 with STARTTLS, 25 without)."),
    Setting("smtp_user", str, "", "User name at the mail server. Empty: no authentication."),
    Setting("smtp_password", str, "", "Password at the mail server."),
    Setting("smtp_starttls", bool, True, "Encrypt the connection to the mail server (STARTTLS)."),
    Setting("mail_from", str, "", "Sender of Acervo's mail, e.g. `Acervo <acervo@example.org>`. "
            "Empty: `acervo@<smtp_host>`."),
    Setting("mail_base_url", str, "",
            "Address of the app in links of notices sent by housekeeping, e.g. "
            "`https://acervo.example.org`. Empty: `http://<web_host>:<web_port>`."),
    Setting(
        "web_trusted_proxies",
        int,
        0,
        "Reverse proxies in front of `dam serve` whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed (0: none, the client address is the connection's).",
    ),
    Setting(
        "upload_max_bytes",
        int,
        20 * 1024**3,
        "Largest file the web upload takes, in bytes (default 20 GiB).",
    ),
    Setting(
        "upload_chunk_bytes",
        int,
        8 * 1024**2,
        "Size of the chunks the browser sends a file in (the most one request may carry).",
    ),
    Setting(
        "upload_reserve_bytes",
        int,
        1024**3,
        "Free disk space uploads leave untouched: a file or chunk that would eat into it is "
        "refused (507), and `/healthz` says degraded below it (default 1 GiB).",
    ),
    Setting(
        "upload_user_quota_bytes",
        int,
        20 * 1024**3,
        "Most bytes one account's unfinished uploads may declare at once (default 20 GiB).",
    ),
    Setting(
        "upload_chunks_to",
        str,
        "auto",
        "Where the chunks of an upload wait until it completes: `disk` (this node's uploads "
        "folder), `store` (the object store, so that every chunk may reach any node behind a "
        "load balancer) or `auto` (the store when it is shared, i.e. not a local folder).",
    ),
    Setting(
        "upload_expiry_hours",
        int,
        48,
        "Unfinished uploads untouched this long are removed, with their chunks, by housekeeping.",
    ),
    Setting(
        "trash_days",
        int,
        30,
        "Assets in the trash (papelera) can be restored this many days; then housekeeping "
        "purges them, with their files unless another asset shares the original.",
    ),
    Setting(
        "fixity_cycle_days",
        int,
        90,
        "Housekeeping re-hashes every original once in this many days, a few at each pass "
        "(0: no scheduled fixity).",
    ),
    Setting(
        "replica_store_url",
        str,
        "",
        "A second copy of the store (`file:///...` or `s3://...`): the scheduled fixity check "
        "restores a damaged original from it. Empty: damage is reported only.",
    ),
    Setting(
        "licences",
        Licences,
        DEFAULT_LICENCES,
        "Licences an asset may carry, as `code=label` pairs separated by `;` (in TOML, a table "
        "`[dam.licences]` of code = label).",
    ),
    Setting(
        "default_licence",
        str,
        "todos-los-derechos",
        "Licence code of assets nobody has given one (one of `licences`; empty: none).",
    ),
    Setting(
        "licence_urls",
        str,
        "CC-BY-4.0=https://creativecommons.org/licenses/by/4.0/deed.es",
        "Web addresses of licences' texts, as `code=url` pairs separated by `;` (embedded in "
        "files and linked from the gallery).",
    ),
    Setting("agency_name", str, "Alcaldía Iztapalapa", "The office's name in credits and pages."),
    Setting(
        "gallery_target",
        str,
        "",
        "Where `dam publish gallery` writes the public gallery: a folder, or `s3://bucket/prefix` "
        "(on the store's S3 endpoint). Empty: `<data_dir>/gallery`.",
    ),
    Setting(
        "gallery_base_url",
        str,
        "http://127.0.0.1:8080/",
        "Public address of the gallery, for Open Graph tags, the Atom feed, the sitemap and the "
        "open data (ends with `/`).",
    ),
    Setting(
        "gallery_title", str, "Galería de la Alcaldía Iztapalapa", "Title of the public gallery."
    ),
    Setting(
        "open_data_licence",
        str,
        "CC BY 4.0",
        "Licence of the open data's records (titles, captions, dates); each picture keeps its own.",
    ),
    Setting(
        "open_data_licence_url",
        str,
        "https://creativecommons.org/licenses/by/4.0/deed.es",
        "Web address of that licence's text (http or https).",
    ),
    Setting(
        "c2pa_cert_path",
        str,
        "",
        "PEM chain (leaf, then CA) that signs the C2PA content credentials of public images. "
        "Empty: `<data_dir>/keys/c2pa-chain.pem` (made by `dam init` for development).",
    ),
    Setting(
        "c2pa_key_path",
        str,
        "",
        "PEM private key of that leaf certificate. Empty: `<data_dir>/keys/c2pa-key.pem`.",
    ),
    Setting(
        "manifest_key_path",
        str,
        "",
        "PEM Ed25519 private key that signs the gallery's SHA-256 manifest. "
        "Empty: `<data_dir>/keys/manifest-ed25519.pem`.",
    ),
    Setting(
        "map_tile_url",
        str,
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "Map tiles of the staff map, as a Leaflet URL template with `{z}`, `{x}` and `{y}` "
        "(http or https; the page's security policy allows images from its host).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The validated settings in force; build with :func:`load_settings`."""

    data_dir: Path
    catalog_url: str
    store_url: str
    s3_endpoint_url: str
    s3_region: str
    s3_connect_timeout_seconds: float
    s3_read_timeout_seconds: float
    s3_max_attempts: int
    index_path: Path
    search_engine: str
    search_sync_seconds: float
    search_snapshot_hours: float
    workers: int
    worker_nice: int
    thumbnail_size: int
    preview_size: int
    rendition_format: str
    rendition_quality: int
    max_image_pixels: int
    ffmpeg_path: str
    proxy_long_edge: int
    storyboard_frames: int
    media_step_timeout_seconds: int
    media_step_memory_mb: int
    pdf_text_max_chars: int
    pdf_page_preview_cap: int
    ocr_language: str
    ocr_min_confidence: float
    ocr_dpi: int
    ocr_tessdata_path: str
    publication_match_distance: int
    faces: bool
    face_group_distance: float
    job_lease_seconds: int
    job_timeout_seconds: int
    proxy_timeout_seconds: int
    job_max_attempts: int
    job_retry_base_seconds: float
    job_retry_max_seconds: float
    watch_settle_seconds: float
    url_signing_key: str
    web_host: str
    web_port: int
    web_threads: int
    web_processes: int
    web_secure_cookies: bool
    session_hours: int
    login_attempts: int
    login_attempts_per_address: int
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_starttls: bool
    mail_from: str
    mail_base_url: str
    web_trusted_proxies: int
    upload_max_bytes: int
    upload_chunk_bytes: int
    upload_reserve_bytes: int
    upload_user_quota_bytes: int
    upload_chunks_to: str
    upload_expiry_hours: int
    trash_days: int
    fixity_cycle_days: int
    replica_store_url: str
    licences: Licences
    default_licence: str
    licence_urls: str
    agency_name: str
    gallery_target: str
    gallery_base_url: str
    gallery_title: str
    open_data_licence: str
    open_data_licence_url: str
    c2pa_cert_path: Path
    c2pa_key_path: Path
    manifest_key_path: Path
    map_tile_url: str
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rendition_sizes(self) -> dict[str, int]:
        return {"thumbnail": self.thumbnail_size, "preview": self.preview_size}

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _convert(setting: Setting, value: Any, source: str) -> Any:
    """Convert a raw value to the setting's declared type."""
    try:
        if setting.type is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if setting.type is int and isinstance(value, bool):
            raise ValueError(value)
        return setting.type(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {setting.name!r} from {source} must be {setting.type.__name__}, got {value!r}"
        ) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from exc
    section = data.get("dam", data)
    unknown = sorted(set(section) - set(_BY_NAME))
    if unknown:
        raise ConfigError(f"settings file {path}: unknown setting(s) {', '.join(unknown)}")
    return section


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings: defaults, then the TOML file, then DAM_* variables, then overrides.

    The TOML file is ``config_file``, else ``$DAM_CONFIG``, else ``./dam.toml`` when present.
    Relative paths are taken from ``base_dir`` (default: the current directory).
    """
    env = os.environ if env is None else env
    base = Path(base_dir or os.getcwd())
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    sources: dict[str, str] = {s.name: "default" for s in SETTINGS}

    path = config_file or env.get(CONFIG_ENV)
    if path is None and (base / DEFAULT_CONFIG_FILE).is_file():
        path = base / DEFAULT_CONFIG_FILE
    if path is not None:
        for name, raw in _read_toml(Path(path)).items():
            values[name] = _convert(_BY_NAME[name], raw, f"file {path}")
            sources[name] = f"file {path}"

    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key == CONFIG_ENV:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name in _BY_NAME:
            values[name] = _convert(_BY_NAME[name], raw, f"environment {key}")
            sources[name] = f"environment {key}"

    for name, raw in overrides.items():
        if name not in _BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        if raw is not None:
            values[name] = _convert(_BY_NAME[name], raw, "command line")
            sources[name] = "command line"

    return _finish(values, sources, base)


def _finish(values: dict[str, Any], sources: dict[str, str], base: Path) -> Settings:
    data_dir = (base / values["data_dir"]).resolve()
    if not values["catalog_url"]:
        values["catalog_url"] = f"sqlite:///{data_dir / 'catalog.sqlite3'}"
    if not values["store_url"]:
        values["store_url"] = (data_dir / "store").as_uri()
    values["index_path"] = (base / (values["index_path"] or data_dir / "index")).resolve()
    keys = data_dir / "keys"
    for name, default in (("c2pa_cert_path", "c2pa-chain.pem"), ("c2pa_key_path", "c2pa-key.pem"),
                          ("manifest_key_path", "manifest-ed25519.pem")):
        values[name] = (base / (values[name] or keys / default)).resolve()
    values["gallery_target"] = values["gallery_target"] or str(data_dir / "gallery")
    values["data_dir"] = data_dir
    if values["workers"] == 0:
        values["workers"] = os.cpu_count() or 1
    settings = Settings(**values, sources=sources)
    validate(settings)
    return settings


def _fail(settings: Settings, name: str, message: str) -> None:
    raise ConfigError(f"setting {name!r} ({settings.sources.get(name, 'default')}): {message}")


def validate(settings: Settings) -> None:
    """Raise ConfigError with a clear message for the first invalid setting."""
    catalog = urlparse(settings.catalog_url)
    if not catalog.scheme.startswith(("sqlite", "postgresql")):
        _fail(settings, "catalog_url", "must be a sqlite:// or postgresql:// URL")
    store = urlparse(settings.store_url)
    if store.scheme not in {"file", "s3"}:
        _fail(settings, "store_url", "must start with file:// or s3://")
    if store.scheme == "s3" and not store.netloc:
        _fail(settings, "store_url", "an s3:// URL needs a bucket: s3://bucket/prefix")
    if store.scheme == "file" and not store.path.startswith("/"):
        _fail(settings, "store_url", "a file:// URL needs an absolute path: file:///srv/acervo")
    for name in ("s3_connect_timeout_seconds", "s3_read_timeout_seconds"):
        if not 0.1 <= getattr(settings, name) <= 3600:
            _fail(settings, name, "must be between 0.1 and 3600 seconds")
    if not 1 <= settings.s3_max_attempts <= 20:
        _fail(settings, "s3_max_attempts", "must be between 1 and 20")
    if settings.workers < 1:
        _fail(settings, "workers", "must be at least 1")
    if not 0 <= settings.worker_nice <= 19:
        _fail(settings, "worker_nice", "must be between 0 and 19")
    if settings.search_engine not in {"whoosh", "tantivy"}:
        _fail(settings, "search_engine", "must be 'whoosh' or 'tantivy'")
    if settings.search_snapshot_hours < 0:
        _fail(settings, "search_snapshot_hours", "must not be negative")
    if not 0.05 <= settings.search_sync_seconds <= 3600:
        _fail(settings, "search_sync_seconds", "must be between 0.05 and 3600")
    for name in ("thumbnail_size", "preview_size"):
        if not 16 <= getattr(settings, name) <= 8192:
            _fail(settings, name, "must be between 16 and 8192 pixels")
    if settings.thumbnail_size > settings.preview_size:
        _fail(settings, "thumbnail_size", "must not exceed preview_size")
    if settings.rendition_format not in {"jpeg", "webp"}:
        _fail(settings, "rendition_format", "must be 'jpeg' or 'webp'")
    if not 1 <= settings.rendition_quality <= 95:
        _fail(settings, "rendition_quality", "must be between 1 and 95")
    if settings.max_image_pixels < 1_000_000:
        _fail(settings, "max_image_pixels", "must be at least 1000000")
    _validate_media(settings)
    _validate_web(settings)
    for name in ("job_lease_seconds", "job_timeout_seconds", "proxy_timeout_seconds",
                 "job_max_attempts"):
        if getattr(settings, name) < 1:
            _fail(settings, name, "must be at least 1")
    if settings.fixity_cycle_days < 0:
        _fail(settings, "fixity_cycle_days", "must not be negative (0: no scheduled fixity)")
    replica = urlparse(settings.replica_store_url)
    if settings.replica_store_url and (replica.scheme not in {"file", "s3"}
                                       or settings.replica_store_url == settings.store_url):
        _fail(settings, "replica_store_url",
              "must be another store than store_url, starting with file:// or s3://")
    if settings.job_retry_base_seconds < 0 or settings.watch_settle_seconds < 0:
        _fail(settings, "job_retry_base_seconds", "delays must not be negative")
    if settings.job_retry_max_seconds <= 0:
        _fail(settings, "job_retry_max_seconds", "must be more than 0")
    if settings.default_licence and settings.default_licence not in settings.licences.codes:
        _fail(settings, "default_licence",
              f"must be one of the licences: {', '.join(settings.licences.codes)}")


def _validate_media(settings: Settings) -> None:
    if settings.ffmpeg_path and not Path(settings.ffmpeg_path).is_file():
        _fail(settings, "ffmpeg_path", f"no such file: {settings.ffmpeg_path}")
    if not 64 <= settings.proxy_long_edge <= 4096:
        _fail(settings, "proxy_long_edge", "must be between 64 and 4096 pixels")
    if not 0 <= settings.storyboard_frames <= 100:
        _fail(settings, "storyboard_frames", "must be between 0 and 100")
    if settings.media_step_timeout_seconds < 1 or settings.media_step_memory_mb < 256:
        _fail(settings, "media_step_timeout_seconds", "must be >= 1 s, with >= 256 MiB memory")
    if settings.pdf_text_max_chars < 0 or settings.pdf_page_preview_cap < 0:
        _fail(settings, "pdf_text_max_chars", "limits of PDF text and pages must not be negative")
    if not re.fullmatch(r"[A-Za-z_]+(\+[A-Za-z_]+)*", settings.ocr_language):
        _fail(settings, "ocr_language", "must be Tesseract language codes joined by +")
    if not 0 <= settings.ocr_min_confidence <= 100:
        _fail(settings, "ocr_min_confidence", "must be between 0 and 100")
    if settings.ocr_tessdata_path and not Path(settings.ocr_tessdata_path).is_dir():
        _fail(settings, "ocr_tessdata_path", f"no such folder: {settings.ocr_tessdata_path}")
    if not 72 <= settings.ocr_dpi <= 600:
        _fail(settings, "ocr_dpi", "must be between 72 and 600")
    if not 0 <= settings.publication_match_distance <= 16:
        _fail(settings, "publication_match_distance", "must be between 0 and 16 bits")
    if not 0.1 <= settings.face_group_distance <= 1.2:
        _fail(settings, "face_group_distance", "must be between 0.1 and 1.2")


def _validate_web(settings: Settings) -> None:
    if not 1 <= settings.web_port <= 65535:
        _fail(settings, "web_port", "must be between 1 and 65535")
    if not 1 <= settings.web_threads <= 256:
        _fail(settings, "web_threads", "must be between 1 and 256")
    if not 0 <= settings.web_processes <= 64:
        _fail(settings, "web_processes", "must be between 0 (one per CPU core) and 64")
    if not 1 <= settings.session_hours <= 24 * 90:
        _fail(settings, "session_hours", "must be between 1 and 2160")
    if not 1 <= settings.smtp_port <= 65535:
        _fail(settings, "smtp_port", "must be between 1 and 65535")
    if settings.mail_base_url and not settings.mail_base_url.startswith(("http://", "https://")):
        _fail(settings, "mail_base_url", "must be an http or https address")
    if settings.login_attempts < 1:
        _fail(settings, "login_attempts", "must be at least 1")
    if settings.login_attempts_per_address < settings.login_attempts:
        _fail(settings, "login_attempts_per_address", "must be at least login_attempts")
    if not 0 <= settings.web_trusted_proxies <= 8:
        _fail(settings, "web_trusted_proxies", "must be between 0 and 8")
    if not 64 * 1024 <= settings.upload_chunk_bytes <= 256 * 1024**2:
        _fail(settings, "upload_chunk_bytes", "must be between 64 KiB and 256 MiB")
    if settings.upload_chunks_to not in ("auto", "disk", "store"):
        _fail(settings, "upload_chunks_to", "must be auto, disk or store")
    if settings.upload_max_bytes < 1:
        _fail(settings, "upload_max_bytes", "must be at least 1")
    if settings.upload_reserve_bytes < 0:
        _fail(settings, "upload_reserve_bytes", "must not be negative")
    if settings.upload_user_quota_bytes < 1:
        _fail(settings, "upload_user_quota_bytes", "must be at least 1")
    if settings.trash_days < 1:
        _fail(settings, "trash_days", "must be at least 1")
    if settings.upload_expiry_hours < 1:
        _fail(settings, "upload_expiry_hours", "must be at least 1")
    if not settings.open_data_licence.strip():
        _fail(settings, "open_data_licence", "must name a licence")
    if not settings.open_data_licence_url.startswith(("https://", "http://")):
        _fail(settings, "open_data_licence_url", "must be an http or https address")
    tiles = settings.map_tile_url
    if not tiles.startswith(("https://", "http://")) or not all(
            part in tiles for part in ("{z}", "{x}", "{y}")):
        _fail(settings, "map_tile_url", "must be an http or https address with {z}, {x} and {y}")


def settings_table_markdown() -> str:
    """The settings as the Markdown table the README carries."""
    rows = ["| setting | env | type | default | meaning |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        default = repr(s.default) if s.default != "" else "(empty)"
        rows.append(
            f"| `{s.name}` | `DAM_{s.name.upper()}` | {s.type.__name__} | {default} | {s.doc} |"
        )
    return "\n".join(rows)
