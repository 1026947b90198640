"""`{% screening_script %}`: the browser's note screening with the server's messages, so that
a refusal reads the same (and in the same language) before and after submitting."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, json_script

from core.screening import browser_messages

register = template.Library()


@register.simple_tag
def screening_script() -> str:
    return format_html(
        '{}<script src="{}" defer></script>',
        json_script(browser_messages(), "screening-messages"),
        static("js/screening.js"),
    )
