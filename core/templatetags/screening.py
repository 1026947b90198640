"""`{% screening_script %}`: the browser's note screening with the server's messages, so that
a refusal reads the same (and in the same language) before and after submitting."""

from __future__ import annotations

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils.html import format_html

from core.screening import browser_messages

register = template.Library()


@register.simple_tag
def screening_script() -> str:
    # An attribute of the script element, not an inline data block: the pages carry no inline
    # <script> at all, so the Content-Security-Policy stays strict (tests/web/test_csp.py).
    messages = json.dumps(browser_messages(), cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script src="{}" data-messages="{}" defer></script>', static("js/screening.js"), messages
    )
