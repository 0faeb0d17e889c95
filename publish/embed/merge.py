"""The properties of a file's old XMP that its new packet keeps: every one we do not write.

A camera's or editor's XMP can hold what the picture needs (an Ultra HDR gain map's directory,
a motion photo's video offset, a raw developer's settings): those travel on, only the fields
Acervo describes are replaced.
"""

from __future__ import annotations

import io
import logging
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

log = logging.getLogger(__name__)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML = "http://www.w3.org/XML/1998/namespace"
MAX_PACKET = 1 << 20
_STARTS = (b"<x:xmpmeta", b"<x:xapmeta", b"<rdf:RDF")
_ENDS = (b"</x:xmpmeta>", b"</x:xapmeta>", b"</rdf:RDF>")


def _document(packet: bytes) -> bytes | None:
    """The XML inside an xpacket wrapper (padding, NULs and wrapper left out)."""
    starts = [i for i in (packet.find(s) for s in _STARTS) if i >= 0]
    ends = [(i, len(e)) for e, i in ((e, packet.rfind(e)) for e in _ENDS) if i >= 0]
    if not starts or not ends:
        return None
    end, size = max(ends)
    return packet[min(starts) : end + size]


class _Writer:
    """Serializes elements with the prefixes the file used (readers such as exiftool name
    groups by prefix), declaring on each property the namespaces it needs."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = {XML: "xml", RDF: "rdf", **prefixes}

    def _name(self, name: str, used: dict[str, str]) -> str:
        if not name.startswith("{"):
            return name
        uri, local = name[1:].split("}", 1)
        if uri not in self.prefixes or (self.prefixes[uri] in used.values()
                                        and used.get(uri) != self.prefixes[uri]):
            self.prefixes[uri] = f"ns{len(self.prefixes)}"
        used[uri] = self.prefixes[uri]
        return f"{self.prefixes[uri]}:{local}"

    def _element(self, element: ET.Element, used: dict[str, str]) -> str:
        tag = self._name(element.tag, used)
        attributes = "".join(f" {self._name(k, used)}={quoteattr(v)}"
                             for k, v in element.attrib.items())
        inner = escape(element.text or "") + "".join(
            self._element(child, used) + escape(child.tail or "") for child in element)
        return f"<{tag}{attributes}>{inner}</{tag}>"

    def property(self, element: ET.Element) -> str:
        used: dict[str, str] = {}
        body = self._element(element, used)
        declarations = "".join(f" xmlns:{p}={quoteattr(u)}" for u, p in used.items() if u != XML)
        tag_end = len(self._name(element.tag, used)) + 1  # after "<prefix:name"
        return body[:tag_end] + declarations + body[tag_end:]


def _prefixes(document: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for _event, (prefix, uri) in ET.iterparse(io.BytesIO(document), events=("start-ns",)):
        found.setdefault(uri, prefix)
    return found


def kept_properties(packet: bytes, written: frozenset[str]) -> list[str]:
    """Each top-level property of ``packet`` whose expanded name is not in ``written``,
    serialized as an RDF element; nothing when the packet cannot be read."""
    document = _document(packet) if len(packet) <= MAX_PACKET else None
    if document is None:
        return []
    try:
        root = ET.fromstring(document)
        writer = _Writer(_prefixes(document))
    except ET.ParseError as exc:
        log.warning("old XMP unreadable, not kept: %s", exc)
        return []
    rdf = root if root.tag == f"{{{RDF}}}RDF" else root.find(f"{{{RDF}}}RDF")
    kept: list[str] = []
    for description in rdf.findall(f"{{{RDF}}}Description") if rdf is not None else []:
        for name, value in description.attrib.items():
            if name.startswith("{") and not name.startswith(f"{{{RDF}}}") \
                    and name not in written:
                element = ET.Element(name)
                element.text = value
                kept.append(writer.property(element))
        kept += [writer.property(child) for child in description if child.tag not in written]
    return kept
