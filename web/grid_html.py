"""The grid of thumbnails, written by Python: the page most staff see most.

A grid cell drawn by the Jinja macro cost ~40 attribute lookups, ~15 escapes and ~5 calls
through Jinja's runtime, about 70 µs; sixty of them were a third of a search page's CPU. Here
each cell is one f-string of escaped values, with the labels translated once a page. The macro
``grid`` in templates/_macros.html calls :func:`grid_html`; the HTML is what the macro wrote,
whitespace aside (compared over 2,468 item variants in both languages when it moved here;
tests/web/test_grid_html.py holds what a cell must say).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from web.i18n import fmt_date, fmt_duration, fmt_taken, request_translations
from web.links import asset_href, file_href
from web.queries import GridItem
from web.workflow_view import workflow_names


def type_names(_: Callable[[str], str]) -> dict[str, str]:
    """Media types as the UI names them, translated by ``_``."""
    return {"photo": _("Photo"), "video": _("Video"), "audio": _("Audio"),
            "document": _("Publication"), "other": _("Other")}


def state_names(_: Callable[[str], str]) -> dict[str, str]:
    """Ingest states as the UI names them, translated by ``_``."""
    return {
        "pending": _("Waiting"), "processing": _("Processing"), "ready": _("Ready"),
        "failed": _("Failed"), "new": _("New"), "duplicate": _("Duplicate"),
        "sidecar": _("XMP sidecar, joined to its picture"), "receiving": _("Uploading"),
        "waiting_store": _("Kept: it goes into the archive when the storage answers again"),
    }


class _Labels:
    """The page's translations of the grid's fixed words, each looked up once."""

    def __init__(self) -> None:
        self.catalog = request_translations()
        _ = self.catalog.ugettext
        self.types, self.states = type_names(_), state_names(_)
        self.workflows = workflow_names(_)
        self.cache: dict[tuple[int, str], Markup] = {}

    def text(self, table: Mapping[str, str], key: str) -> Markup:
        """The label of ``key`` in one of the page's tables (the key itself if not there)."""
        found = self.cache.get((id(table), key))
        if found is None:
            found = self.cache[(id(table), key)] = escape(table.get(key, key))
        return found

    def word(self, msgid: str) -> Markup:
        found = self.cache.get((0, msgid))
        if found is None:
            found = self.cache[(0, msgid)] = escape(self.catalog.ugettext(msgid))
        return found


def type_text(media_type: str) -> str:
    """A media type's name in the UI (the macro ``type_label``)."""
    return type_names(request_translations().ugettext).get(media_type, media_type)


def state_text(state: str) -> str:
    """An ingest state's name in the UI (the macro ``state_label``)."""
    return state_names(request_translations().ugettext).get(state, state)


def grid_html(items: Sequence[GridItem], *, selectable: bool = False,
              snippets: Mapping[int, Sequence[Any]] | None = None, dated: bool = False,
              context: bool | None = None, empty: str | None = None,
              pages: Mapping[int, Any] | None = None) -> Markup:
    """The grid: ``selectable`` adds a checkbox per cell (the page's selection bar),
    ``snippets`` the caption's fragments around the search's hits, ``dated`` a heading before
    each new capture day, ``context`` false leaves out the list the asset page's arrows walk,
    ``pages`` the first OCR page with the search's words per item."""
    labels = _Labels()
    _ = labels.word  # the name pybabel extracts
    out: list[str] = ['<ul class="grid" data-grid']
    if context is not False:
        out.append(f' data-context="lista:{",".join(str(item.id) for item in items)}"')
    out.append(">\n")
    select_label = _("Select") if selectable else ""
    day_seen: dt.date | None | bool = False
    for item in items:
        if dated:
            day = item.taken_at.date() if item.taken_at else None
            if day_seen is False or day != day_seen:
                day_seen = day
                heading = escape(fmt_date(day, "full")) if day else _("No date")
                out.append(f'<li class="date-head"><h2 class="date-title">{heading}</h2></li>\n')
        out.append(_cell(item, labels, select_label, snippets, pages))
    if not items:
        nothing = escape(empty) if empty else _("No material here yet.")
        out.append(f'<li class="empty">{nothing}</li>\n')
    out.append("</ul>")
    return Markup("".join(out))


def _cell(item: GridItem, labels: _Labels, select_label: str,
          snippets: Mapping[int, Sequence[Any]] | None, pages: Mapping[int, Any] | None) -> str:
    _ = labels.word
    title = escape(item.title)
    thumb = item.thumb
    size = f' data-w="{thumb.width}" data-h="{thumb.height}"' if thumb else ""
    color = f' data-color="{escape(item.color)}"' if item.color else ""
    check = (f'<input class="select" type="checkbox" form="selection-form" name="asset_id" '
             f'value="{item.id}" aria-label="{select_label}: {title}">' if select_label else "")
    hit = pages.get(item.id) if pages else None
    href = escape(hit.href) if hit else asset_href(item.id)
    if thumb:
        picture = (f'<img src="{escape(file_href(thumb.key, thumb.version))}" width="{thumb.width}"'
                   f' height="{thumb.height}" alt="{title}" loading="lazy" decoding="async">')
    else:
        picture = (f'<span class="nothumb"><span class="visually-hidden">{title} · </span>'
                   f'{labels.text(labels.types, item.media_type)}</span>')
    frags = snippets.get(item.id) if snippets else None
    if hit:
        page = _("page %(n)s") % {"n": hit.page}
        text = (f'<span class="caption snippet"><strong class="page-hit">{page}</strong> '
                f'{_marked(hit.fragments)}</span>')
    elif frags:
        text = f'<span class="caption snippet">{_marked(frags)}</span>'
    else:
        text = f'<span class="caption">{title}</span>'
    taken = (f' <time datetime="{item.taken_at.isoformat()}">{escape(fmt_taken(item.taken_at))}'
             '</time>' if item.taken_at else "")
    failed = ""
    if item.state == "failed" and item.error:
        reason = _("Processing failed")
        failed = f' <span class="error-text">{reason}</span>'
    return (f'<li class="cell"{size}{color}> {check} <a href="{href}"> {picture} '
            f'<span class="badges">{_badges(item, labels)}</span> '
            f'<span class="info{" always" if frags or hit else ""}"> {text}{taken} </span>'
            f'{failed} </a> </li>\n')


def _badges(item: GridItem, labels: _Labels) -> str:
    badges = ""
    media = item.media_type
    if media == "video":
        running = (escape(fmt_duration(item.duration)) if item.duration
                   else labels.text(labels.types, "video"))
        badges = (f'<span class="badge"><span class="ico ico-play" aria-hidden="true"></span>'
                  f'{running}</span>')
    elif media == "document":
        count = ""
        if item.pages:
            ngettext = labels.catalog.ungettext
            count = " · " + escape(ngettext("%(num)s page", "%(num)s pages", item.pages)
                                   % {"num": item.pages})
        badges = f'<span class="badge">PDF{count}</span>'
    elif media != "photo":
        badges = f'<span class="badge">{labels.text(labels.types, media)}</span>'
    if item.state != "ready":
        badges += (f'<span class="badge badge-{escape(item.state)}">'
                   f'{labels.text(labels.states, item.state)}</span>')
    elif item.workflow and item.workflow != "draft":
        badges += (f'<span class="badge state-{escape(item.workflow)}">'
                   f'{labels.text(labels.workflows, item.workflow)}</span>')
    return badges


def _marked(fragments: Sequence[Any]) -> str:
    return "".join(f"<mark>{escape(f.text)}</mark>" if f.hit else str(escape(f.text))
                   for f in fragments)


def init_grid(app: Flask) -> None:
    app.jinja_env.globals.update(grid_html=grid_html, type_text=type_text, state_text=state_text)
