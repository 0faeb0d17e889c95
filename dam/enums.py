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
    MAKE_PROXY = "make_proxy"  # web-playable copy of a video or audio file, at lower priority
    PUBLISH_GALLERY = "publish_gallery"  # render the public gallery (publish.jobs)
    SEND_MAIL = "send_mail"  # send one stored email (dam.mail)
    FIND_FACES = "find_faces"  # faces of a photo or video poster, after processing (ingest.faces)
    OCR_PAGES = "ocr_pages"  # read scanned pages with Tesseract, after the ingest (ingest.ocr_job)


class OcrState(enum.StrEnum):
    """Where one page's OCR stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # could not be read (reason kept); flagged for review


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
    SIDECAR = "sidecar"  # an XMP sidecar, joined to the picture of the same name in its batch


class RenditionKind(enum.StrEnum):
    THUMBNAIL = "thumbnail"
    PREVIEW = "preview"
    POSTER = "poster"  # the frame a video is shown by, at the proxy's size
    STORYBOARD = "storyboard"  # a grid of evenly spaced frames, for skimming a video
    PROXY = "proxy"  # H.264/AAC MP4 (video) or AAC M4A (audio) that every browser plays
    WAVEFORM = "waveform"  # an audio file's loudness over time, as a picture
    PAGE = "page"  # one page of a publication (``page`` 1..n), for a page-turning view


class PublicationKind(enum.StrEnum):
    """What kind of printed piece a publication is (editable; not read from the file)."""

    POSTER = "poster"  # cartel
    LEAFLET = "leaflet"  # folleto, volante
    BULLETIN = "bulletin"  # boletín, gaceta
    MAGAZINE = "magazine"  # revista
    BANNER = "banner"  # lona
    PRESS_RELEASE = "press_release"  # boletín de prensa, comunicado
    CLIPPING = "clipping"  # nota de prensa, recorte (printed or on the web): see Asset.medium


class Tone(enum.StrEnum):
    """How a press clipping speaks of the Alcaldía (the office's media analysis; editable)."""

    POSITIVE = "positive"  # positiva
    NEUTRAL = "neutral"  # neutral
    NEGATIVE = "negative"  # negativa


class Role(enum.StrEnum):
    """What a person may do in the web app and the API (each role includes the ones below it)."""

    ADMIN = "admin"  # accounts, the queue, everything an editor does
    EDITOR = "editor"  # every batch, every asset
    PHOTOGRAPHER = "photographer"  # uploads, and sees their own batches
    VIEWER = "viewer"  # press staff: read and download


class UploadState(enum.StrEnum):
    """A resumable web upload: receiving chunks, then taken in (or refused).

    WAITING_STORE: complete, but the object store did not answer; the file stays in the
    uploads folder until housekeeping takes it in.
    ASSEMBLING: complete, its chunks (kept in the object store) being joined and taken in by
    one node; housekeeping hands it back (RECEIVING) if that node died meanwhile.
    """

    RECEIVING = "receiving"
    ASSEMBLING = "assembling"
    WAITING_STORE = "waiting_store"
    DONE = "done"
    FAILED = "failed"


class WorkflowState(enum.StrEnum):
    """Editorial state of an asset: who may move it between states is set by role (dam.workflow)."""

    DRAFT = "draft"  # borrador
    REVIEWED = "reviewed"  # revisado
    APPROVED = "approved"  # aprobado para publicación
    PUBLISHED = "published"  # publicado
    WITHDRAWN = "withdrawn"  # retirado


class CullMark(enum.IntEnum):
    """A photo's mark from culling: picked (elegida), rejected (descartada), or neither."""

    REJECTED = -1
    NONE = 0
    PICKED = 1


class ColorLabel(enum.StrEnum):
    """Colour labels of the culling loupe (as in Photo Mechanic and Lightroom)."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    PURPLE = "purple"


class CollectionKind(enum.StrEnum):
    ALBUM = "album"  # made by hand: ordered, with a cover and a description
    EVENT = "event"  # one event's assets (those whose event is its name), plus any added by hand


class VocabularyKind(enum.StrEnum):
    """Controlled vocabularies that admins manage and fields offer as suggestions."""

    AREA = "area"  # áreas / unidades administrativas
    TERRITORY = "territory"  # direcciones territoriales
    COLONIA = "colonia"  # colonias, barrios, unidades habitacionales (parent: a territory)
    PROGRAMME = "programme"  # programas
    CAMPAIGN = "campaign"  # campañas de difusión
    PERSON = "person"  # personas fotografiadas con frecuencia
    PLACE = "place"  # lugares (sedes, plazas, mercados)
    KEYWORD = "keyword"  # palabras clave sugeridas (las libres siguen siendo posibles)
    SYNONYM = "synonym"  # sinónimos de la búsqueda: "sismo = temblor", una línea por grupo


class PublishStatus(enum.StrEnum):
    """How a publication of the gallery went."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the previous gallery stays in place
    REFUSED = "refused"  # e.g. during an electoral blackout


class BlackoutException(enum.StrEnum):
    """Information the law lets the office publish during an electoral blackout."""

    CIVIL_PROTECTION = "proteccion_civil"
    HEALTH = "salud"


class FaceSource(enum.StrEnum):
    """Who says a face is its group's person: the detector's grouping, or a person."""

    DETECTED = "detected"  # grouped by its descriptor; a suggestion until confirmed
    CONFIRMED = "confirmed"  # staff confirmed it is its group's person
    REJECTED = "rejected"  # staff said it is not; out of its group, never regrouped by itself
