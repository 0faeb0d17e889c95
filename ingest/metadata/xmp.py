"""XMP packet parsing with defusedxml into a flat {'prefix:Name': value} dictionary."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import defusedxml.ElementTree as SafeET

from ingest.metadata.values import clean_text

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_XMP_BYTES = 16 * 1024 * 1024
_MAX_DEPTH = 24
_MAX_PROPERTIES = 2000

# Canonical prefixes by namespace URI, whatever prefix the file itself declared.
NAMESPACES: dict[str, str] = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.adobe.com/lightroom/1.0/": "lr",
}
_START = re.compile(r"<(?:[\w.-]+:)?(?:xmpmeta|xapmeta|RDF)\b")
_END = re.compile(r"</(?:[\w.-]+:)?(?:xmpmeta|xapmeta|RDF)\s*>")
_DECLARED = re.compile(r"xmlns:([\w.-]+)\s*=\s*[\"']([^\"']*)[\"']")


def parse_xmp(data: bytes | str, warnings: list[str]) -> dict[str, Any]:
    """Parse an XMP packet; values are text, lists (Bag/Seq), {lang: text} (Alt) or structs.

    Never raises: malformed or forbidden XML (DTDs, entities) gives a warning and {}.
    """
    text = _packet_text(data, warnings)
    if text is None:
        return {}
    try:
        root = SafeET.fromstring(text)
    except Exception as error:  # ParseError, defusedxml's forbidden-construct errors, ...
        warnings.append(f"xmp: unreadable XMP ({type(error).__name__}: {error})")
        return {}
    prefixes = {uri: prefix for prefix, uri in _DECLARED.findall(text)} | NAMESPACES
    parser = _RdfReader(prefixes)
    out: dict[str, Any] = {}
    for description in root.iter(f"{{{RDF}}}Description"):
        if parser.is_top_level(description, root):
            out.update(parser.description(description, 0))
        if len(out) >= _MAX_PROPERTIES:
            warnings.append("xmp: too many properties; the rest were ignored")
            break
    return out


def _packet_text(data: bytes | str, warnings: list[str]) -> str | None:
    if len(data) > MAX_XMP_BYTES:
        warnings.append(f"xmp: packet of {len(data)} bytes is too large; ignored")
        return None
    if isinstance(data, bytes):
        if data.startswith((b"\xfe\xff", b"\xff\xfe")):
            data = data.decode("utf-16", errors="replace")
        else:
            data = data.decode("utf-8", errors="replace")
    start = _START.search(data)
    if start is None:
        if data.strip("\x00 \r\n\t"):
            warnings.append("xmp: no XMP packet found in the XMP block")
        return None
    ends = [end for end in _END.finditer(data) if end.start() > start.start()]
    if ends:
        return data[start.start() : ends[-1].end()]
    # No closing tag: an empty self-closing <x:xmpmeta/>, or a truncated packet (parse error).
    return data[start.start() :].split("<?xpacket end", 1)[0].rstrip("\x00 \r\n\t")


class _RdfReader:
    """Turns rdf:Description trees into plain values (text, list, dict)."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes
        self.parents: dict[int, ET.Element] = {}

    def is_top_level(self, element: ET.Element, root: ET.Element) -> bool:
        if not self.parents:
            self.parents = {id(child): parent for parent in root.iter() for child in parent}
        parent = self.parents.get(id(element))
        return parent is not None and parent.tag == f"{{{RDF}}}RDF"

    def name(self, tag: str) -> str:
        if tag.startswith("{"):
            uri, local = tag[1:].split("}", 1)
            prefix = self.prefixes.get(uri)
            return f"{prefix}:{local}" if prefix else tag
        return tag

    def description(self, element: ET.Element, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in element.attrib.items():
            if not key.startswith((f"{{{RDF}}}", "{http://www.w3.org/XML/")):
                out[self.name(key)] = clean_text(value)
        for child in element:
            out[self.name(child.tag)] = self.value(child, depth + 1)
        return out

    def value(self, element: ET.Element, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return None
        resource = element.get(f"{{{RDF}}}resource")
        if resource is not None:
            return clean_text(resource)
        if element.get(f"{{{RDF}}}parseType") == "Resource":
            return self.description(element, depth)
        children = list(element)
        if not children:
            attrs = [k for k in element.attrib if not k.startswith((f"{{{RDF}}}", XML_LANG))]
            return self.description(element, depth) if attrs else clean_text(element.text)
        first = children[0]
        if first.tag in (f"{{{RDF}}}Bag", f"{{{RDF}}}Seq"):
            items = [self.value(li, depth + 1) for li in first if li.tag == f"{{{RDF}}}li"]
            return [item for item in items if item is not None]
        if first.tag == f"{{{RDF}}}Alt":
            return self.alternatives(first, depth)
        if first.tag == f"{{{RDF}}}Description":
            return self.description(first, depth)
        return self.description(element, depth)

    def alternatives(self, alt: ET.Element, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for li in alt:
            if li.tag == f"{{{RDF}}}li":
                out.setdefault(li.get(XML_LANG, "x-default"), self.value(li, depth + 1))
        return out


def xmp_text(value: Any) -> str | None:
    """The single text of a property: the x-default of an Alt, the first item of a list."""
    if isinstance(value, dict):
        if "x-default" in value:
            return xmp_text(value["x-default"])
        return next((t for t in map(xmp_text, value.values()) if t), None)
    if isinstance(value, list):
        return next((t for t in map(xmp_text, value) if t), None)
    return clean_text(value) if isinstance(value, str) else None


def xmp_list(value: Any) -> list[str]:
    """The texts of a Bag or Seq (a lone text becomes a one-item list)."""
    if isinstance(value, list):
        return [t for t in map(xmp_text, value) if t]
    text = xmp_text(value)
    return [text] if text else []
