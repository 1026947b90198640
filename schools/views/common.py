"""What every recording page shares: the navigation flags and the school picker."""

from __future__ import annotations

from .. import tenancy


def nav_context(request) -> dict:
    """What the navigation shows: one flag per kind of page the user may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "records": bool(tenancy.school_ids(user, tenancy.STAFF_ROLES)),
            "casework": bool(tenancy.school_ids(user, tenancy.CASEWORK_ROLES)),
            "admin": bool(tenancy.school_ids(user, tenancy.ADMIN_ROLES)),
            # Pages then say which school they are for.
            "several_schools": len(tenancy.school_ids(user)) > 1,
        }
    }


def school_choices(request, roles) -> list:
    """The schools a page's school picker offers: the user's schools with one of `roles`."""
    return list(tenancy.schools_for(request.user, roles=roles))
