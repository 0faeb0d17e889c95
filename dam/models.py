"""SQLAlchemy models of the catalog: assets, renditions, batches, intake, jobs, publications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from dam.enums import (
    AssetState,
    CollectionKind,
    ColorLabel,
    FaceSource,
    IntakeOutcome,
    JobKind,
    JobState,
    MediaType,
    OcrState,
    PublicationKind,
    RenditionKind,
    Role,
    Tone,
    UploadState,
    VocabularyKind,
    WorkflowState,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")
# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
IdType = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def phash_quarters(phash: str | None) -> tuple[int | None, ...]:
    """The four 16-bit words of a 64-bit perceptual hash (16 hex digits), for indexed lookups.

    Two hashes within Hamming distance ``d`` agree exactly, or within ``r`` bits, on at least one
    quarter when ``d <= 4 * r + 3`` (pigeonhole), so near matches are found through four indexes.
    """
    if not phash or len(phash) != 16:
        return (None, None, None, None)
    try:
        return tuple(int(phash[i : i + 4], 16) for i in range(0, 16, 4))
    except ValueError:
        return (None, None, None, None)


def _enum(cls: type) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=24,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


# What reports group and filter material by (dam.reports.figures), carried in the date index.
REPORT_COLUMNS = ("id", "event", "area", "programme", "campaign", "sublocation", "creator",
                  "workflow_state", "media_type", "internal_only", "contains_minors",
                  "embargo_until", "batch_id", "trashed_at")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: DateTime(timezone=True), dict[str, Any]: JsonType}


class Batch(Base):
    """One upload batch: the files a photographer brought from one event, tagged once."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32), default="cli")  # cli, web, watch
    event: Mapped[str | None] = mapped_column(String(500))
    event_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    area: Mapped[str | None] = mapped_column(String(500))
    # The government programme (programa) the event belongs to, e.g. "Utopías".
    programme: Mapped[str | None] = mapped_column(String(500))
    place: Mapped[str | None] = mapped_column(String(500))
    photographer: Mapped[str | None] = mapped_column(String(200))
    caption: Mapped[str | None] = mapped_column(Text)
    # The account that uploaded it through the web or the API (None: CLI, hot folder).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    assets: Mapped[list[Asset]] = relationship(back_populates="batch")
    items: Mapped[list[IntakeItem]] = relationship(back_populates="batch")


class Asset(Base):
    """One original file, stored once under its SHA-256, and everything known about it."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[MediaType] = mapped_column(_enum(MediaType), default=MediaType.OTHER)
    mime_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    byte_size: Mapped[int] = mapped_column(BigInteger)
    original_filename: Mapped[str] = mapped_column(String(1000))
    original_key: Mapped[str] = mapped_column(String(300))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)

    state: Mapped[AssetState] = mapped_column(_enum(AssetState), default=AssetState.PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    processed_at: Mapped[dt.datetime | None]

    # Pixels as stored (before orientation is applied), as exiftool reports them.
    width: Mapped[int | None]
    height: Mapped[int | None]
    orientation: Mapped[int | None]  # EXIF 1-8
    # Wall-clock time the picture was taken, as the camera recorded it, and its UTC offset.
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    taken_at_offset_minutes: Mapped[int | None]

    camera_make: Mapped[str | None] = mapped_column(String(200))
    camera_model: Mapped[str | None] = mapped_column(String(200))
    lens_model: Mapped[str | None] = mapped_column(String(200))
    camera_serial: Mapped[str | None] = mapped_column(String(200))
    exposure_time: Mapped[float | None] = mapped_column(Float)  # seconds
    f_number: Mapped[float | None] = mapped_column(Float)
    iso: Mapped[int | None]
    focal_length: Mapped[float | None] = mapped_column(Float)  # millimetres

    gps_latitude: Mapped[float | None] = mapped_column(Float)
    gps_longitude: Mapped[float | None] = mapped_column(Float)
    gps_altitude: Mapped[float | None] = mapped_column(Float)  # metres above sea level

    headline: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JsonType, default=list)
    creator: Mapped[str | None] = mapped_column(String(500))
    credit: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(500))
    copyright_notice: Mapped[str | None] = mapped_column(Text)
    usage_terms: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(200))
    sublocation: Mapped[str | None] = mapped_column(String(500))
    state_province: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str | None] = mapped_column(String(8))
    event: Mapped[str | None] = mapped_column(String(500))
    area: Mapped[str | None] = mapped_column(String(500))  # area of government, from the batch
    # The government programme it documents (programa social: Utopías, Mercomuna), from the
    # batch; not a dissemination campaign (``campaign``).
    programme: Mapped[str | None] = mapped_column(String(500))
    persons_shown: Mapped[list[str]] = mapped_column(JsonType, default=list)
    # Names of the people whose faces staff named (dam.faces keeps it in step; internal, never
    # typed, never public): searched like persons_shown, shown apart from it.
    face_people: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default="[]")

    # Time-based media (video, audio): what the container and its main streams say.
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    container: Mapped[str | None] = mapped_column(String(100))
    video_codec: Mapped[str | None] = mapped_column(String(50))
    audio_codec: Mapped[str | None] = mapped_column(String(50))
    frame_rate: Mapped[float | None] = mapped_column(Float)
    bit_rate: Mapped[int | None] = mapped_column(BigInteger)
    audio_channels: Mapped[int | None]
    sample_rate: Mapped[int | None]
    rotation: Mapped[int | None]  # degrees clockwise to display upright: 0, 90, 180, 270
    hdr_transfer: Mapped[str | None] = mapped_column(String(32))  # smpte2084 (PQ), arib-std-b67

    # Documents (PDF): the file's facts, and its text for the search index (capped).
    page_count: Mapped[int | None]
    page_width_pt: Mapped[float | None] = mapped_column(Float)  # first page, as displayed
    page_height_pt: Mapped[float | None] = mapped_column(Float)
    is_encrypted: Mapped[bool | None] = mapped_column(Boolean)
    document_text: Mapped[str | None] = mapped_column(Text)
    # What the press office says of a publication (edited by people, never read from the file).
    publication_kind: Mapped[PublicationKind | None] = mapped_column(_enum(PublicationKind))
    campaign: Mapped[str | None] = mapped_column(String(500))
    print_run: Mapped[int | None]
    distribution_date: Mapped[dt.date | None] = mapped_column(Date)  # its date (issue, note)
    # A publication of a series (Gaceta Iztapalapa no. 12): columns of the asset, like the fields
    # above, so edits, the bitácora, the change feed and the index follow them with no second path.
    series: Mapped[str | None] = mapped_column(String(300))
    issue_number: Mapped[int | None]
    publication_format: Mapped[str | None] = mapped_column(String(200))  # tabloide, carta...
    distribution: Mapped[str | None] = mapped_column(String(500))  # where and how it was given
    # A press clipping (publication_kind CLIPPING): where it appeared; author is ``creator``,
    # headline ``headline``, date ``distribution_date``.
    medium: Mapped[str | None] = mapped_column(String(300))  # medio: Reforma, La Jornada...
    section: Mapped[str | None] = mapped_column(String(300))  # sección
    clipping_page: Mapped[str | None] = mapped_column(String(40))  # "A12", "3"
    web_url: Mapped[str | None] = mapped_column(String(2000))  # an online note's address
    captured_on: Mapped[dt.date | None] = mapped_column(Date)  # when the web note was saved
    tone: Mapped[Tone | None] = mapped_column(_enum(Tone))  # media analysis

    metadata_json: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    phash: Mapped[str | None] = mapped_column(String(32), index=True)
    # phash split in 16-bit quarters (see phash_quarters), kept in step by set_phash_quarters.
    phash_q0: Mapped[int | None] = mapped_column(index=True)
    phash_q1: Mapped[int | None] = mapped_column(index=True)
    phash_q2: Mapped[int | None] = mapped_column(index=True)
    phash_q3: Mapped[int | None] = mapped_column(index=True)

    fixity_checked_at: Mapped[dt.datetime | None]
    fixity_ok: Mapped[bool | None] = mapped_column(Boolean)

    # Curation: what people decide about the asset (never read from the file).
    alt_text: Mapped[str | None] = mapped_column(Text)  # for screen readers (IPTC alt text)
    workflow_state: Mapped[WorkflowState] = mapped_column(
        _enum(WorkflowState), default=WorkflowState.DRAFT, server_default=WorkflowState.DRAFT.value
    )
    rating: Mapped[int] = mapped_column(default=0, server_default="0")  # 0-5 stars
    cull_mark: Mapped[int] = mapped_column(default=0, server_default="0")  # CullMark
    color_label: Mapped[ColorLabel | None] = mapped_column(_enum(ColorLabel))
    licence: Mapped[str | None] = mapped_column(String(200))  # a code of the licences setting
    # Not publishable before this instant (UTC); indexed: the search sync looks for lapsed ones.
    embargo_until: Mapped[dt.datetime | None] = mapped_column(index=True)
    internal_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    contains_minors: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Point of interest for crops (social formats), as fractions of the upright picture's width
    # and height (0..1); None: guessed automatically from the picture.
    poi_x: Mapped[float | None] = mapped_column(Float)
    poi_y: Mapped[float | None] = mapped_column(Float)
    # Bumped by every curation edit: an edit based on an older version is refused (409), not lost.
    edit_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Descriptive fields people have edited: reprocessing the file never overwrites these.
    edited_fields: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default="[]")
    # In the trash (papelera) since this instant: hidden everywhere, restorable until
    # housekeeping purges it (dam.curation.trash). No FK on the account: it may be gone.
    trashed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    trashed_by: Mapped[int | None] = mapped_column(IdType)

    batch: Mapped[Batch | None] = relationship(back_populates="assets")
    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="asset",
        cascade="all, delete-orphan",
        order_by="(Rendition.kind, Rendition.page)",
    )
    # Where this photo was printed, and (for a publication) the archive photos it printed.
    appears_in: Mapped[list[PublicationPhoto]] = relationship(
        foreign_keys="PublicationPhoto.photo_id",
        viewonly=True,
        order_by="(PublicationPhoto.publication_id, PublicationPhoto.page)",
    )
    photos_printed: Mapped[list[PublicationPhoto]] = relationship(
        foreign_keys="PublicationPhoto.publication_id",
        viewonly=True,
        order_by="(PublicationPhoto.page, PublicationPhoto.photo_id)",
    )

    __table_args__ = (
        Index("ix_assets_state", "state"),
        # Reports count by date taken, grouped by these columns: on PostgreSQL the index holds
        # them too, so a report reads the index alone (dam.reports.figures).
        Index("ix_assets_taken_at", "taken_at", postgresql_include=list(REPORT_COLUMNS)),
        # A public report counts published material only: its own, smaller index.
        Index("ix_assets_published_taken_at", "taken_at",
              postgresql_include=list(REPORT_COLUMNS),
              postgresql_where=text("workflow_state = 'published'"),
              sqlite_where=text("workflow_state = 'published'")),
        # Material without a date of its own is dated by its batch's event (as the search).
        Index("ix_assets_undated_batch", "batch_id", postgresql_where=text("taken_at IS NULL"),
              sqlite_where=text("taken_at IS NULL")),
        Index("ix_assets_created_at_id", "created_at", "id"),
        Index("ix_assets_workflow_state", "workflow_state"),
        Index("ix_assets_event", "event"),  # event collections and their counts
        Index("ix_assets_series_issue", "series", "issue_number"),  # a series' issues in order
        Index("ix_assets_medium", "medium"),  # clippings by medium
        # Reports date the printed archive by it (publications and clippings only have one).
        Index("ix_assets_distribution_date", "distribution_date",
              postgresql_where=text("distribution_date IS NOT NULL"),
              sqlite_where=text("distribution_date IS NOT NULL")),
    )

    @validates("phash")
    def set_phash_quarters(self, _key: str, value: str | None) -> str | None:
        """Every ORM write of phash updates its indexed quarters (bulk UPDATEs must do it too)."""
        self.phash_q0, self.phash_q1, self.phash_q2, self.phash_q3 = phash_quarters(value)
        return value


class Rendition(Base):
    """A derived file (thumbnail, preview): always regenerable from the original."""

    __tablename__ = "renditions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    kind: Mapped[RenditionKind] = mapped_column(_enum(RenditionKind))
    key: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int] = mapped_column(BigInteger)
    page: Mapped[int] = mapped_column(default=0, server_default="0")  # 1..n for PAGE, else 0
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    asset: Mapped[Asset] = relationship(back_populates="renditions")

    __table_args__ = (
        UniqueConstraint("asset_id", "kind", "page", name="uq_renditions_asset_kind_page"),
    )


class AssetVersion(Base):
    """One file an asset has had: written when its file is first replaced (version 1, the file
    taken in) and at every replacement or restore after. The newest row is the current file.

    Every original stays in the store under its SHA-256; descriptive metadata, rights,
    collections and links stay on the asset (dam.curation.versions).
    """

    __tablename__ = "asset_versions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, 3... per asset
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    byte_size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(100))
    original_filename: Mapped[str] = mapped_column(String(1000))
    # ingest (the file taken in), replace, restore (restored_from names the version)
    action: Mapped[str] = mapped_column(String(16))
    restored_from: Mapped[int | None]
    user_id: Mapped[int | None] = mapped_column(IdType)  # no FK: outlives accounts
    username: Mapped[str | None] = mapped_column(String(200))  # as it was at the time
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        UniqueConstraint("asset_id", "number", name="uq_asset_versions_asset_number"),
    )


class PublicationImage(Base):
    """A picture printed in a publication (an image embedded in its PDF), by perceptual hash.

    Kept so that a photo catalogued after the publication is still linked to it.
    """

    __tablename__ = "publication_images"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    page: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    phash: Mapped[str] = mapped_column(String(16))
    phash_q0: Mapped[int] = mapped_column(index=True)
    phash_q1: Mapped[int] = mapped_column(index=True)
    phash_q2: Mapped[int] = mapped_column(index=True)
    phash_q3: Mapped[int] = mapped_column(index=True)


class PublicationPhoto(Base):
    """A photo of the archive printed in a publication, and on which page it appeared."""

    __tablename__ = "publication_photos"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    photo_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    image_id: Mapped[int] = mapped_column(
        ForeignKey("publication_images.id", ondelete="CASCADE"), index=True
    )  # the closest printed picture that matched
    page: Mapped[int]
    distance: Mapped[int]  # Hamming distance between the perceptual hashes (0 = same picture)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        UniqueConstraint("publication_id", "photo_id", "page", name="uq_publication_photo_page"),
    )


class OcrPage(Base):
    """What OCR read on one page of a scanned publication (or on a photo of printed material).

    ``words`` is compact: ``[[text, x0, y0, x1, y1, confidence], ...]`` with the box as
    fractions of the displayed page x 10,000, so the page preview can mark a word at any size.
    The page's text joins the asset's ``document_text`` (and so the search index); the words
    stay here, read only when a page is shown.
    """

    __tablename__ = "ocr_pages"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    page: Mapped[int]  # 1..n (a photo: 1)
    state: Mapped[OcrState] = mapped_column(_enum(OcrState), default=OcrState.QUEUED)
    tries: Mapped[int] = mapped_column(default=0, server_default="0")
    job_id: Mapped[int | None] = mapped_column(BigInteger)  # the job reading it now
    claimed_at: Mapped[dt.datetime | None]
    text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)  # mean word confidence; None: blank
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    words: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    rotation: Mapped[int] = mapped_column(default=0, server_default="0")
    skew: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("asset_id", "page", name="uq_ocr_pages_asset_page"),
        Index("ix_ocr_pages_flagged", "flagged", "asset_id"),
    )


class IntakeItem(Base):
    """One file handed in with a batch and what became of it (new, duplicate, failed)."""

    __tablename__ = "intake_items"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    source_path: Mapped[str] = mapped_column(Text)
    original_filename: Mapped[str] = mapped_column(String(1000))
    outcome: Mapped[IntakeOutcome] = mapped_column(_enum(IntakeOutcome))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    byte_size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    batch: Mapped[Batch] = relationship(back_populates="items")
    asset: Mapped[Asset | None] = relationship()


class Job(Base):
    """Durable work: claimed with a lease, retried with backoff, failed after N tries."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    state: Mapped[JobState] = mapped_column(_enum(JobState), default=JobState.QUEUED)
    priority: Mapped[int] = mapped_column(default=100)  # lower runs first
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    run_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Retries after transient trouble (store, catalog or disk unavailable): not counted in
    # attempts; the latest reason is shown by `dam status` while the job waits.
    transient_retries: Mapped[int] = mapped_column(default=0, server_default="0")
    transient_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_jobs_claim", "state", "priority", "run_after"),
        Index("ix_jobs_asset_id", "asset_id"),
    )


class FixityCheck(Base):
    """One re-hash of a stored original against its recorded SHA-256."""

    __tablename__ = "fixity_checks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(Text)


class WatchedFile(Base):
    """A file a hot folder has taken, so that it is never ingested twice."""

    __tablename__ = "watched_files"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    folder: Mapped[str] = mapped_column(Text)
    relative_path: Mapped[str] = mapped_column(Text)
    byte_size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    intake_item_id: Mapped[int | None] = mapped_column(ForeignKey("intake_items.id"))
    taken_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "folder", "relative_path", "byte_size", "mtime_ns", name="uq_watched_file"
        ),
    )


class AssetChange(Base):
    """The catalog's change feed: one row, with a growing sequence number, per asset write.

    Projections such as each node's search index follow it from the last sequence they applied.
    Rows are appended by the services that change assets, in the transaction of the change
    (dam.changes.record); a write of the fixity check's bookkeeping alone is not a change.
    """

    __tablename__ = "asset_changes"

    seq: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(IdType, index=True)  # no FK: deletions are recorded too
    kind: Mapped[str] = mapped_column(String(16))  # created, updated, deleted
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    """A local account of the web app and the API."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.VIEWER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: invited, not set yet
    # Bumped when the password changes or the account is disabled: older invitation links end.
    session_epoch: Mapped[int] = mapped_column(default=0)
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_login_at: Mapped[dt.datetime | None]
    # Notices (web.notices) this person turned off on the account page; every other one is on.
    notices_off: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default="[]")


class ApiToken(Base):
    """A token for scripts; only its SHA-256 is kept, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class WebSession(Base):
    """A signed-in browser: its cookie carries a random id, the catalog only that id's SHA-256.

    Checked on every request with the account, so signing out (which deletes the row), a
    password change (every other row of the account) or disabling the account (all of them)
    ends a session at once, in every serving process, even for a copied cookie.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Moved forward at most every few minutes; rows unseen for session_hours are deleted.
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class SignInFailure(Base):
    """One failed (or still running) sign-in, counted against a key: an account, an account at
    one address, or an address (see web/security.py).

    Kept in the catalog, not in a server process, so the limit holds across every serving
    process and node; rows older than the limit's window are deleted as new ones arrive.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Upload(Base):
    """A resumable web upload of one file into a batch: chunks land in a file under data_dir."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[UploadState] = mapped_column(_enum(UploadState), default=UploadState.RECEIVING)
    outcome: Mapped[IntakeOutcome | None] = mapped_column(_enum(IntakeOutcome))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))  # known once complete (store retries)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UploadPart(Base):
    """A chunk of an upload kept in the object store (``upload_chunks_to`` = store): any node
    may take the next chunk, and the node that completes the upload joins them in order."""

    __tablename__ = "upload_parts"

    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"),
                                           primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # its first byte
    length: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(300))


class Collection(Base):
    """An album made by hand, or an event: a named, ordered set of assets (in many at once)."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[CollectionKind] = mapped_column(
        _enum(CollectionKind), default=CollectionKind.ALBUM
    )
    title: Mapped[str] = mapped_column(String(500))
    slug: Mapped[str] = mapped_column(String(200), unique=True)  # stable, for URLs and the gallery
    description: Mapped[str | None] = mapped_column(Text)
    # For an EVENT collection: the event name its assets carry (Asset.event).
    event: Mapped[str | None] = mapped_column(String(500), unique=True)
    cover_asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    # In the public gallery since this moment (None: not in it); set by an editor.
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # An audited exception to an electoral blackout: civil protection or health information.
    blackout_exception: Mapped[str | None] = mapped_column(String(40))  # BlackoutException
    blackout_exception_reason: Mapped[str | None] = mapped_column(Text)
    # The editor's choice for photos with a minor's face and no consent for minors: hold the
    # photo back (False), or export it with the minors' faces blurred (True).
    blur_minors: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", cascade="all, delete-orphan",
        order_by="(CollectionItem.position, CollectionItem.id)",
    )


class CollectionItem(Base):
    """An asset's place in a collection."""

    __tablename__ = "collection_items"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    collection: Mapped[Collection] = relationship(back_populates="items")
    asset: Mapped[Asset] = relationship()

    __table_args__ = (
        UniqueConstraint("collection_id", "asset_id", name="uq_collection_items_collection_asset"),
        Index("ix_collection_items_order", "collection_id", "position"),
    )


class VocabularyTerm(Base):
    """A term of a controlled vocabulary, with an optional code (``=cb``) that expands to it."""

    __tablename__ = "vocabulary_terms"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    vocabulary: Mapped[VocabularyKind] = mapped_column(_enum(VocabularyKind))
    label: Mapped[str] = mapped_column(String(500))
    code: Mapped[str | None] = mapped_column(String(32), unique=True)  # typed as "=code"
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("vocabulary_terms.id", ondelete="SET NULL")
    )  # a colonia's territorial division
    note: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        UniqueConstraint("vocabulary", "label", name="uq_vocabulary_terms_vocabulary_label"),
    )


class CaptionTemplate(Base):
    """A shared caption with variables: {evento}, {fecha}, {lugar}, {fotografo}, {area}."""

    __tablename__ = "caption_templates"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class ConsentForm(Base):
    """A signed consent to use a person's image (the scanned form is itself an asset)."""

    __tablename__ = "consent_forms"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    document_asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("assets.id", ondelete="SET NULL"), index=True
    )
    persons: Mapped[list[str]] = mapped_column(JsonType, default=list)  # the people it covers
    covers_minor: Mapped[bool] = mapped_column(Boolean, default=False)
    guardian: Mapped[str | None] = mapped_column(String(500))  # who signed for a minor
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)  # None: does not expire
    scope: Mapped[str | None] = mapped_column(Text)  # what uses it allows
    revoked_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    covered: Mapped[list[ConsentAsset]] = relationship(
        back_populates="consent", cascade="all, delete-orphan"
    )


class ConsentAsset(Base):
    """An asset a consent form covers."""

    __tablename__ = "consent_assets"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent_forms.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)

    consent: Mapped[ConsentForm] = relationship(back_populates="covered")

    __table_args__ = (
        UniqueConstraint("consent_id", "asset_id", name="uq_consent_assets_consent_asset"),
    )


class BatchEdit(Base):
    """One edit applied to a selection of assets at once; its audit entries hold the old values."""

    __tablename__ = "batch_edits"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    asset_count: Mapped[int] = mapped_column(default=0)
    operations: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    undone_at: Mapped[dt.datetime | None]
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AuditEntry(Base):
    """The bitácora: who changed what, when, from which value to which. Append-only.

    The application only inserts (dam.audit refuses updates and deletes in the ORM, and database
    triggers refuse them in SQL), so the log can be trusted as the asset's history.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now(), index=True)
    user_id: Mapped[int | None] = mapped_column(IdType, index=True)  # no FK: outlives accounts
    username: Mapped[str | None] = mapped_column(String(64))  # as it was at the time
    # edit, state, rights, consent, collection_add, collection_remove, collection, download, undo...
    action: Mapped[str] = mapped_column(String(32), index=True)
    asset_id: Mapped[int | None] = mapped_column(IdType, index=True)  # no FK: deletions too
    collection_id: Mapped[int | None] = mapped_column(IdType, index=True)
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    batch_edit_id: Mapped[int | None] = mapped_column(IdType, index=True)
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)  # reports' activity


class Erasure(Base):
    """The tombstone of an asset erased by legal mandate (dam.curation.erasure).

    Only the minimum is kept: the original's SHA-256 (to recognise the file if it comes
    back), the written reason, who and when, and the asset's former id (for the bitácora).
    No title, caption, names or file name: those were the personal data to remove.
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(IdType, index=True)  # no FK: the asset is gone
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    erased_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(IdType)  # no FK: outlives accounts
    username: Mapped[str | None] = mapped_column(String(64))  # as it was at the time
    # When every file was gone from the store(s); None: housekeeping tries again.
    files_removed_at: Mapped[dt.datetime | None]


class ExportProfile(Base):
    """An admin's changes to a named export profile (publico, prensa, redes, archivo).

    The built-in defaults live in code (publish.profiles); a row overrides some of their values.
    """

    __tablename__ = "export_profiles"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BlackoutPeriod(Base):
    """An electoral blackout (veda electoral): nothing is published in [starts_at, ends_at)."""

    __tablename__ = "blackout_periods"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    starts_at: Mapped[dt.datetime]  # UTC
    ends_at: Mapped[dt.datetime]  # UTC, exclusive
    reason: Mapped[str] = mapped_column(Text)  # e.g. "Proceso electoral local 2027"
    notice: Mapped[str | None] = mapped_column(Text)  # shown instead of the public gallery
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())


class PublishingSetting(Base):
    """A publishing value admins set from the UI (the institutional band's store key, ...)."""

    __tablename__ = "publishing_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SharedKey(Base):
    """The fingerprint (SHA-256, never the key) of a secret every node must hold the same copy of.

    Recorded by the first `dam init` that has it; `dam check` compares each node's copy.
    """

    __tablename__ = "shared_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())


class PublishRun(Base):
    """One publication of the gallery: who asked, what it wrote and removed, what it held back."""

    __tablename__ = "publish_runs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="gallery")
    target: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), index=True)  # PublishStatus
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    # written, unchanged, removed, photos, collections, held_back: [{asset_id, reasons}], ...
    stats: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class ShareLink(Base):
    """A link for journalists: a selection or a collection, until a date, audited per use.

    Only the token's SHA-256 is kept; the token is shown once to the editor who made it.
    """

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)  # shown to the recipient
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL"))
    asset_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)  # a selection, in order
    expires_at: Mapped[dt.datetime]
    password_hash: Mapped[str | None] = mapped_column(String(200))  # Argon2; None: no password
    size: Mapped[str] = mapped_column(String(16), default="press")  # press | original
    watermark: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    views: Mapped[int] = mapped_column(default=0)
    downloads: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[dt.datetime | None]


class SavedSearch(Base):
    """A search someone keeps, for themselves or shared with the team, and when they last ran it."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(2000))  # the search page's query string
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    digest_at: Mapped[dt.datetime | None]  # the owner's last daily digest of new material


class MailMessage(Base):
    """One email waiting for, or sent by, its ``send_mail`` job (dam.mail).

    ``dedupe_key`` names a notice once (e.g. one batch's "finished"), so housekeeping passes
    in several processes never mail it twice.
    """

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    sent_at: Mapped[dt.datetime | None]


class FaceGroup(Base):
    """Faces that are taken to be one person; named by linking it to the people vocabulary.

    ``centroid`` is the mean of its faces' descriptors (128 float32), what a new face is
    compared with; ``face_count`` its faces, kept in step so the mean can be updated in place.
    """

    __tablename__ = "face_groups"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_term_id: Mapped[int | None] = mapped_column(
        ForeignKey("vocabulary_terms.id", ondelete="SET NULL"), index=True
    )
    centroid: Mapped[bytes] = mapped_column(LargeBinary)
    face_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    person: Mapped[VocabularyTerm | None] = relationship()


class Face(Base):
    """One face found in a photo (or a video's poster): where, its descriptor, whose it is.

    The box is in fractions (0..1) of the upright picture's width and height, so it fits the
    original, the preview and any rendition alike. Internal data: never public, never exported.
    """

    __tablename__ = "faces"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    left: Mapped[float] = mapped_column(Float)
    top: Mapped[float] = mapped_column(Float)
    right: Mapped[float] = mapped_column(Float)
    bottom: Mapped[float] = mapped_column(Float)
    descriptor: Mapped[bytes] = mapped_column(LargeBinary)  # 128 float32, little-endian
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("face_groups.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[FaceSource] = mapped_column(
        _enum(FaceSource), default=FaceSource.DETECTED, server_default=FaceSource.DETECTED.value
    )
    minor: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    group: Mapped[FaceGroup | None] = relationship()


class ReportDayCount(Base):
    """The reports' rollup (PostgreSQL): material of one day (Mexico City, as a report dates it)
    per value of one grouped column (``dam.reports.material.GROUPED``); ``value`` '' is none."""

    __tablename__ = "report_day_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    material: Mapped[int]


class ReportDirtyDay(Base):
    """A day whose material changed since the rollup counted it: written by PostgreSQL triggers
    on ``assets`` and ``batches`` (migration 0026), one row per change (a log, so writers never
    wait on each other), taken away by the transaction that counts the day again."""

    __tablename__ = "report_dirty_days"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
