"""Values out of Ed-Fi XML elements: children by local name (namespaces ignored), trimmed
text, descriptors ('uri://...#Tardy' -> 'Tardy'), dates, times and numbers. A value that does
not parse is None: the reader (schools.importers.edfi) says which element was wrong."""

from __future__ import annotations

import datetime as dt
from xml.etree.ElementTree import Element


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child(el: Element | None, *path: str) -> Element | None:
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if local_name(c.tag) == name), None)
    return el


def text(el: Element | None, *path: str) -> str | None:
    found = child(el, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def descendant_text(el: Element | None, name: str) -> str | None:
    if el is None:
        return None
    for d in el.iter():
        if local_name(d.tag) == name and d.text and d.text.strip():
            return d.text.strip()
    return None


def descriptor(value: str | None) -> str | None:
    """'uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy' -> 'Tardy'."""
    if value is None:
        return None
    return value.rsplit("#", 1)[-1].strip() or None


def date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def time(value: str | None) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value) if value else None
    except ValueError:
        return None


def number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
