"""What must never reach the public, and a checker that finds any of it in text or files."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from PIL import Image

from tests.media import PrivateTags

GPS = (19.3574, -99.0671)
FILE_STEM = "DSC_PRIVADO_7731"
PERSON = "Xóchitl Retratada Benítez"
FACE_PERSON = "Rostro Nombrado Quintero"  # named through a face (face data: internal)
TAGS = PrivateTags()

# A position in any format: decimal (dot or comma), degrees-minutes-seconds, map links, keys.
_COORDINATES = re.compile(
    r"19[.,]35|99[.,]06|99[.,]07|19\s*(?:°|deg)\s*21|99\s*(?:°|deg)\s*0?4|21'\s*26|4'\s*1[.,]5"
    r"|openstreetmap|mlat=|gps_|\"gps\"|GPSLatitude|GPSLongitude",
    re.IGNORECASE)
_CULLING = re.compile(r"cull_mark|\"rating\"|color_label|marks-summary|class=\"pick"
                      r"|Descartada|Rejected|Culling|Selección: ", re.IGNORECASE)
_BATCH = re.compile(r"(?i:\bbatch)|/cargas?/|\bCarga\b|\bLote\b")
_KEYS = re.compile(r"originals/|renditions/|metadata_json|original_key|\"key\"")
_FACES = re.compile(r"face_people|\"faces\"|face_id|group_id|data-face|descriptor|¿Quién es\?"
                    r"|/personas", re.IGNORECASE)
# EXIF tags that identify the device or its owner, and the GPS IFD.
PRIVATE_EXIF = {0xA430: "CameraOwnerName", 0xA431: "BodySerialNumber",
                0xA435: "LensSerialNumber", 0x927C: "MakerNote", 0x8825: "GPS IFD"}


@dataclass
class Secrets:
    """The private facts of one asset, as the catalog holds them."""

    sha256: str
    original_key: str
    batch_id: int
    extra: list[str] = field(default_factory=list)

    def words(self) -> list[str]:
        return [TAGS.body_serial, TAGS.lens_serial, TAGS.owner, TAGS.maker_note.decode(),
                FILE_STEM, PERSON, FACE_PERSON, self.sha256, self.sha256[:16], self.original_key,
                *self.extra]

    def found_in_text(self, text: str, where: str) -> list[str]:
        """Every secret ``text`` gives away, named with ``where``."""
        found = [f"{where}: {word!r}" for word in self.words() if word in text]
        for name, pattern in (("coordinates", _COORDINATES), ("culling mark", _CULLING),
                              ("batch", _BATCH), ("storage key", _KEYS),
                              ("face data", _FACES)):
            match = pattern.search(text)
            if match:
                start = max(0, match.start() - 60)
                found.append(f"{where}: {name} {text[start:match.end() + 60]!r}")
        return found

    def found_in_file(self, data: bytes, where: str) -> list[str]:
        """Secrets in a served file's bytes, and private EXIF tags in it if it is a picture."""
        text = data.decode("latin-1")
        found = [f"{where}: {word!r}" for word in self.words()
                 if word in text or word.encode() in data]
        found += [f"{where}: {tag}" for tag in private_exif(data)]
        return found


def private_exif(data: bytes) -> list[str]:
    """The private EXIF tags (and GPS) a picture carries, by name."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
    except Exception:  # noqa: BLE001 - not a picture: nothing to read
        return []
    names = []
    if exif.get_ifd(0x8825):
        names.append("GPS IFD")
    sub = exif.get_ifd(0x8769)
    names += [name for tag, name in PRIVATE_EXIF.items() if tag in sub or tag in exif
              if name != "GPS IFD"]
    return names


def add_named_face(session, asset_id: int, *, minor: bool = False) -> None:  # type: ignore[no-untyped-def]
    """A face of ``asset_id`` in a group named FACE_PERSON, as staff would have named it."""
    from dam.enums import FaceSource, VocabularyKind
    from dam.faces import refresh_face_people, to_bytes
    from dam.models import Face, FaceGroup, VocabularyTerm

    term = session.query(VocabularyTerm).filter_by(label=FACE_PERSON).first()
    if term is None:
        term = VocabularyTerm(vocabulary=VocabularyKind.PERSON, label=FACE_PERSON)
        session.add(term)
        session.flush()
    descriptor = to_bytes([0.01 * i for i in range(128)])
    group = FaceGroup(centroid=descriptor, face_count=1, person_term_id=term.id)
    session.add(group)
    session.flush()
    session.add(Face(asset_id=asset_id, left=0.3, top=0.2, right=0.5, bottom=0.5,
                     descriptor=descriptor, group_id=group.id, source=FaceSource.CONFIRMED,
                     minor=minor))
    refresh_face_people(session, [asset_id])
