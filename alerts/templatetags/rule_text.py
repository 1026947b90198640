"""Rules in words on the pages: `{{ rule|rule_describe }}` (what the rule checks, generated
from its settings in the reader's language) and `{{ name|stock_text }}` (a default rule's
name, translated while it is unchanged)."""

from __future__ import annotations

from django import template

from alerts import rule_text

register = template.Library()

register.filter("rule_describe", rule_text.rule_describe)
register.filter("stock_text", rule_text.stock_text)
