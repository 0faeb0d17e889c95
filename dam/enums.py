"""Enumerations shared by the catalog, the queue and the pipeline."""

from __future__ import annotations

import enum


class MediaType(enum.StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    OTHER = "other"


class AssetState(enum.StrEnum):
    """Processing state of an asset (not its editorial workflow)."""

    PENDING = "pending"  # original stored, waiting for the worker
    PROCESSING = "processing"
    READY = "ready"  # metadata extracted, renditions made (when the type allows)
    FAILED = "failed"  # original preserved; processing failed for the recorded reason


class JobKind(enum.StrEnum):
    PROCESS_ASSET = "process_asset"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class IntakeOutcome(enum.StrEnum):
    """What happened to one file handed to Acervo."""

    NEW = "new"
    DUPLICATE = "duplicate"
    FAILED = "failed"


class RenditionKind(enum.StrEnum):
    THUMBNAIL = "thumbnail"
    PREVIEW = "preview"
