"""Documents rendered to PDF on the server, with WeasyPrint (HTML and CSS to PDF).

The document never fetches anything: every style is in the template and the chart is inline
SVG, so the fetcher refuses any URL. A note that slipped an <img src="http://..."> through
would make no request from the server.
"""

from __future__ import annotations

from django.template.loader import render_to_string


class NoFetching(Exception):
    pass


def _refuse(url: str, *args, **kwargs):
    raise NoFetching(f"documents fetch nothing ({url[:40]})")


def pdf_from_template(template: str, context: dict) -> bytes:
    """Render `template` with `context` and return the PDF's bytes."""
    # Imported here: WeasyPrint loads Pango when imported, which only this path needs.
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=_refuse, base_url="about:blank").write_pdf()
