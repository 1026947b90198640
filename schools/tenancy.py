"""The one mechanism that scopes data to the requesting user's school(s).

Every model that belongs to a school names the path to it in `SCHOOL_PATH` ("school",
"student__school", ...). `scope()` filters any queryset of such a model to the schools where the
user holds one of the given roles. Views, viewsets and admin pages all go through it, so a row
of another school is simply not there: fetching it answers 404, and no list includes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext

from core.rows import prepared_cursor, table

from .models import Membership, Role, School

if TYPE_CHECKING:
    from typing import TypeAlias

    from django.contrib.auth.models import AnonymousUser

    from core.models import User

    # The user behind a request, logged in or not: a read for an anonymous one finds nothing.
    AnyUser: TypeAlias = User | AnonymousUser

_M = TypeVar("_M", bound=Model)

# The role sets every page, viewset and admin page checks against: defined here only.
ALL_ROLES = frozenset(Role.values)
STAFF_ROLES = frozenset({Role.TEACHER, Role.COUNSELLOR, Role.SCHOOL_ADMIN})
CASEWORK_ROLES = frozenset({Role.COUNSELLOR, Role.SCHOOL_ADMIN})
ADMIN_ROLES = frozenset({Role.SCHOOL_ADMIN})

_CACHE_ATTR = "_school_roles_cache"


def school_roles(user: AnyUser | None) -> dict[int, str]:
    """{school id: role} for `user`, read once per user object (i.e. once per request)."""
    if not user or not user.is_authenticated:
        return {}
    cached: dict[int, str] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        # By hand, not through the ORM: read on every request of a signed-in user, where
        # compiling the queryset cost more CPU (0.4 ms) than the database's answer.
        with prepared_cursor() as cursor:
            cursor.execute(_ROLES_SQL, [user.pk])
            cached = dict(cursor.fetchall())
        setattr(user, _CACHE_ATTR, cached)
    return cached


_ROLES_SQL = f"SELECT school_id, role FROM {table(Membership)} WHERE user_id = %s"  # noqa: S608

# The same roles as SQL expressions over an account's row (alias `u`), for a statement that
# reads the account anyway (schools/authentication.py): its school ids, and their roles in the
# same order; NULL for an account with no membership.
ROLES_OF_ACCOUNT = tuple(
    f"(SELECT array_agg({col} ORDER BY school_id) FROM {table(Membership)} "  # noqa: S608
    "WHERE user_id = u.id)"
    for col in ("school_id", "role")
)


def school_roles_read(user: User, school_ids: list[int] | None, roles: list[str] | None) -> None:
    """Keep `user`'s roles as read by ROLES_OF_ACCOUNT, so school_roles() asks no more."""
    setattr(user, _CACHE_ATTR, dict(zip(school_ids or [], roles or [], strict=True)))


def school_ids(user: AnyUser | None, roles: Iterable[str] = ALL_ROLES) -> list[int]:
    wanted = set(roles)
    return sorted(sid for sid, role in school_roles(user).items() if role in wanted)


def role_at(user: AnyUser | None, school: School | int) -> str | None:
    school_id = school if isinstance(school, int) else school.pk
    return school_roles(user).get(school_id)


def has_role(user: AnyUser | None, school: School | int, roles: Iterable[str]) -> bool:
    return role_at(user, school) in set(roles)


def school_path(model: type[Model]) -> str:
    if model is School:
        return "id"
    path: str | None = getattr(model, "SCHOOL_PATH", None)
    if path is None:
        raise TypeError(f"{model.__name__} has no SCHOOL_PATH: it cannot be scoped")
    return f"{path}_id" if path else "id"


def scope(
    queryset: QuerySet[_M],
    user: AnyUser | None,
    *,
    roles: Iterable[str] = ALL_ROLES,
) -> QuerySet[_M]:
    """`queryset` restricted to the schools where `user` holds one of `roles`."""
    ids = school_ids(user, roles)
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{school_path(queryset.model)}__in": ids})


def schools_for(user: AnyUser | None, *, roles: Iterable[str] = ALL_ROLES) -> QuerySet[School]:
    return scope(School.objects.all(), user, roles=roles)


# --- the school a web page acts on ----------------------------------------------------------


class SchoolChoiceNeeded(Exception):
    """A page was asked for without naming its school by someone with several: they choose
    (schools.middleware.SchoolChoiceMiddleware shows the choice); nothing is guessed."""

    def __init__(self, schools: list[School]):
        super().__init__("Choose the school.")
        self.schools = schools


def current_school(request: HttpRequest, roles: Iterable[str]) -> School:
    """The school a page acts on: the one named by ?school=<code> (or a form's `school`)
    among the user's schools with one of `roles`; with only one such school, that one. With
    several and none named, SchoolChoiceNeeded: the person chooses, for a form before it is
    saved, so an observation meant for one school's S-0002 is never stored against
    another's. A school not among them: 404, like any other row the user may not see."""
    schools = schools_for(request.user, roles=roles)
    code = request.POST.get("school") or request.GET.get("school")
    if code:
        school = schools.filter(code=code).first()
    else:
        candidates = list(schools[:2])
        if len(candidates) > 1:
            raise SchoolChoiceNeeded(list(schools))
        school = candidates[0] if candidates else None
    if school is None:
        raise Http404(gettext("No such page."))
    return school


def with_school(url: str, school: School, request: HttpRequest) -> str:
    """`url` naming the school when the user has more than one, so they come back to it."""
    if len(school_ids(request.user)) > 1:
        return f"{url}?school={school.code}"
    return url
