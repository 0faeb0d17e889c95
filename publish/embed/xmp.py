"""XMP packets for downloads and sidecars, split into standard and extended XMP for JPEG."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from xml.sax.saxutils import escape

from publish.embed.info import PressInfo, clean_text

STANDARD_LIMIT = 65_502  # the largest packet one JPEG APP1 segment holds (XMP spec, part 3)
NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "xmpNote": "http://ns.adobe.com/xmp/note/",
    "cc": "http://creativecommons.org/ns#",
}
# Every property Acervo writes, by expanded name: an old value of these never survives.
WRITTEN = frozenset(
    f"{{{NAMESPACES[prefix]}}}{name}" for prefix, name in (
        tag.split(":") for tag in (
            "dc:description", "photoshop:Headline", "dc:subject", "dc:creator", "dc:rights",
            "photoshop:Credit", "xmpRights:UsageTerms", "Iptc4xmpCore:AltTextAccessibility",
            "Iptc4xmpExt:PersonInImage", "Iptc4xmpExt:Event", "Iptc4xmpCore:Location",
            "photoshop:City", "photoshop:State", "photoshop:Country", "Iptc4xmpCore:CountryCode",
            "xmpNote:HasExtendedXMP", "xmpRights:WebStatement", "xmpRights:Marked",
            "cc:license",
        )
    )
)
_BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
_END = '<?xpacket end="w"?>'


def _text(value: str) -> str:
    return escape(clean_text(value))


def _simple(tag: str, value: str | None) -> str:
    return f"<{tag}>{_text(value)}</{tag}>" if value else ""


def _alt(tag: str, value: str | None) -> str:
    if not value:
        return ""
    return (f'<{tag}><rdf:Alt><rdf:li xml:lang="x-default">{_text(value)}</rdf:li>'
            f"</rdf:Alt></{tag}>")


def _array(tag: str, kind: str, values: list[str]) -> str:
    items = "".join(f"<rdf:li>{_text(v)}</rdf:li>" for v in values if v)
    return f"<{tag}><rdf:{kind}>{items}</rdf:{kind}></{tag}>" if items else ""


def _marked(info: PressInfo) -> str | None:
    """xmpRights:Marked: "False" for a public-domain dedication (CC0, the Public Domain Mark),
    "True" when a copyright notice or any other licence applies, absent when nothing is said."""
    if info.licence_url and "/publicdomain/" in info.licence_url:
        return "False"
    return "True" if info.copyright or info.licence or info.licence_url else None


def licence_properties(info: PressInfo) -> list[str]:
    """The licence as XMP: the web statement of rights and Creative Commons' cc:license (both
    the licence's URL), and whether the work is rights-managed (xmpRights:Marked)."""
    url = _text(info.licence_url) if info.licence_url else ""
    found = [
        _simple("xmpRights:WebStatement", info.licence_url),
        f'<cc:license rdf:resource="{url}"/>' if url else "",
        _simple("xmpRights:Marked", _marked(info)),
    ]
    return [p for p in found if p]


def properties(info: PressInfo) -> list[str]:
    """Each property of ``info`` as one serialized RDF element (empty ones left out)."""
    found = [*licence_properties(info),
        _alt("dc:description", info.caption), _simple("photoshop:Headline", info.headline),
        _array("dc:subject", "Bag", info.keywords),
        _array("dc:creator", "Seq", [info.creator] if info.creator else []),
        _alt("dc:rights", info.copyright), _simple("photoshop:Credit", info.credit),
        _alt("xmpRights:UsageTerms", info.usage_terms),
        _alt("Iptc4xmpCore:AltTextAccessibility", info.alt_text),
        _array("Iptc4xmpExt:PersonInImage", "Bag", info.persons),
        _alt("Iptc4xmpExt:Event", info.event),
        _simple("Iptc4xmpCore:Location", info.sublocation), _simple("photoshop:City", info.city),
        _simple("photoshop:State", info.state_province),
        _simple("photoshop:Country", info.country),
        _simple("Iptc4xmpCore:CountryCode", info.country_code),
    ]
    return [p for p in found if p]


def _xmpmeta(props: list[str]) -> str:
    names = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {names}>{"".join(props)}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    )


def xmp_packet(info: PressInfo, keep: Sequence[str] = ()) -> bytes:
    """The whole description as one XMP packet (for sidecars, PNG and small JPEG packets),
    with ``keep``: serialized properties of the file's old XMP that travel on."""
    return (_BEGIN + _xmpmeta([*properties(info), *keep]) + _END).encode("utf-8")


def _largest_first(props: list[str]) -> Iterator[int]:
    return iter(sorted(range(len(props)), key=lambda i: -len(props[i].encode("utf-8"))))


def split_xmp(info: PressInfo, keep: Sequence[str] = (),
              limit: int = STANDARD_LIMIT) -> tuple[bytes, bytes | None]:
    """The standard packet and, when it would not fit in ``limit`` bytes, the extended XMP.

    The largest properties move to the extended part until the standard one fits; the standard
    packet then names the extended part by its GUID (the MD5 of its bytes, in upper-case hex)
    in xmpNote:HasExtendedXMP, as readers such as exiftool require.
    """
    props = [*properties(info), *keep]
    whole = xmp_packet(info, keep)
    if len(whole) <= limit:
        return whole, None
    placeholder = _simple("xmpNote:HasExtendedXMP", "0" * 32)
    moved: set[int] = set()
    order = _largest_first(props)
    while True:
        kept = [p for i, p in enumerate(props) if i not in moved]
        if len((_BEGIN + _xmpmeta([*kept, placeholder]) + _END).encode("utf-8")) <= limit:
            break
        moved.add(next(order))  # the placeholder alone always fits: this ends
    extended = _xmpmeta([p for i, p in enumerate(props) if i in moved]).encode("utf-8")
    guid = hashlib.md5(extended, usedforsecurity=False).hexdigest().upper()
    note = _simple("xmpNote:HasExtendedXMP", guid)
    return (_BEGIN + _xmpmeta([*kept, note]) + _END).encode("utf-8"), extended
