"""Web routes for recording (teachers and every member of staff) and the school admin's
staff and students pages; the student page of counsellors and school admins."""

from __future__ import annotations

from django.urls import path

from . import views
from .views import access

urlpatterns = [
    path("observe/", views.observe, name="observe"),
    path("observe/students/", views.student_search, name="student-search"),
    path("observations/", views.my_observations, name="my-observations"),
    path("observations/<int:pk>/correct/", views.observation_correct, name="observation-correct"),
    path(
        "observations/<int:pk>/withdraw/", views.observation_withdraw, name="observation-withdraw"
    ),
    path("register/", views.register, name="register"),
    path("school/staff/", views.staff, name="staff"),
    path("school/staff/<int:pk>/role/", views.staff_role, name="staff-role"),
    path("school/staff/<int:pk>/remove/", views.staff_remove, name="staff-remove"),
    path(
        "school/invitations/<int:pk>/withdraw/",
        views.invitation_withdraw,
        name="invitation-withdraw",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("school/integrations/", access.integrations, name="integrations"),
    path("school/security/", access.security, name="school-security"),
    path("school/audit/", views.audit, name="audit"),
    path(
        "school/integrations/tokens/<uuid:public_id>/revoke/",
        access.integration_token_revoke,
        name="integration-token-revoke",
    ),
    path("school/students/", views.students, name="students"),
    path("students/find/", views.student_find, name="student-find"),
    path("students/<int:pk>/", views.student_detail, name="student-detail"),
    path(
        "school/students/<int:pk>/deactivate/",
        views.student_deactivate,
        name="student-deactivate",
    ),
    path(
        "school/students/<int:pk>/reactivate/",
        views.student_reactivate,
        name="student-reactivate",
    ),
    path("school/students/<int:pk>/year/", views.student_year_group, name="student-year"),
    path("school/students/move-up/", views.students_move_up, name="students-move-up"),
]
