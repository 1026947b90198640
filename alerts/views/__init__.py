"""Web pages for what is concluded: cases, the school overview, rules with their live
preview, and the in-app notices; plus the landing page that sends each person to their work.

Thin: every queryset comes from alerts.selectors, which scope through schools.tenancy.scope(),
so another school's case or rule is a 404, and so is a counsellor or admin page for a
teacher, whatever URL is typed. Writes go through alerts.services. One module per page group;
the url conf and the context processor import from here.
"""

from __future__ import annotations

from .cases import (
    case_acknowledge,
    case_action,
    case_detail,
    case_note,
    case_resolve,
    case_status,
    cases,
)
from .exports import case_chronology_pdf, cases_export, overview_export
from .followup import case_owner, case_reopen, case_review, concern_new
from .home import home
from .lab import outcomes_import_page, rule_lab
from .notices import notices, notices_context, notices_read
from .overview import overview
from .rules import rule_edit, rule_new, rule_new_preview, rule_preview, rule_toggle, rules

__all__ = [
    "case_acknowledge",
    "case_action",
    "case_chronology_pdf",
    "case_detail",
    "case_note",
    "case_owner",
    "case_reopen",
    "case_resolve",
    "case_review",
    "case_status",
    "cases",
    "cases_export",
    "concern_new",
    "home",
    "notices",
    "notices_context",
    "notices_read",
    "outcomes_import_page",
    "overview",
    "overview_export",
    "rule_edit",
    "rule_lab",
    "rule_new",
    "rule_new_preview",
    "rule_preview",
    "rule_toggle",
    "rules",
]
