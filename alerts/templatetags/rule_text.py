"""Rules in words on the pages: `{{ rule|rule_summary }}`, `{{ rule|rule_note }}` and
`{{ name|stock_text }}` (a default rule's name, translated while it is unchanged) and
`{{ text|own_text }}` (a description only when the school wrote it)."""

from __future__ import annotations

from django import template

from alerts import describe

register = template.Library()

register.filter("rule_summary", describe.rule_summary)
register.filter("rule_note", describe.rule_note)
register.filter("stock_text", describe.stock_text)
register.filter("own_text", describe.own_text)
