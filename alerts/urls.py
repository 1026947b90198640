"""Web routes for casework (counsellors and school admins), rules (school admins), notices,
and the landing page."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.cases, name="cases"),
    path("cases/export.csv", views.cases_export, name="cases-export"),
    path("cases/new/", views.concern_new, name="concern-new"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/chronology.pdf", views.case_chronology_pdf, name="case-pdf"),
    path("cases/<int:pk>/owner/", views.case_owner, name="case-owner"),
    path("cases/<int:pk>/review/", views.case_review, name="case-review"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="case-reopen"),
    path("cases/<int:pk>/acknowledge/", views.case_acknowledge, name="case-acknowledge"),
    path("cases/<int:pk>/note/", views.case_note, name="case-note"),
    path("cases/<int:pk>/action/", views.case_action, name="case-action"),
    path("cases/<int:pk>/status/", views.case_status, name="case-status"),
    path("cases/<int:pk>/resolve/", views.case_resolve, name="case-resolve"),
    path("overview/", views.overview, name="overview"),
    path("overview/export.csv", views.overview_export, name="overview-export"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_new, name="rule-new"),
    path("rules/new/preview/", views.rule_new_preview, name="rule-new-preview"),
    path("rules/<int:pk>/", views.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/toggle/", views.rule_toggle, name="rule-toggle"),
    path("rules/<int:pk>/preview/", views.rule_preview, name="rule-preview"),
    path("rules/<int:pk>/lab/", views.rule_lab, name="rule-lab"),
    path("rules/outcomes/import/", views.outcomes_import_page, name="outcomes-import"),
    path("notices/", views.notices, name="notices"),
    path("notices/read/", views.notices_read, name="notices-read"),
]
