"""The in-app notices page, and the bell in the header."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import selectors, services


def notices_context(request) -> dict:
    """The bell in the header: how many of the user's notices are unread."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notices_unread": selectors.notices_of(user).filter(read_at__isnull=True).count()}


@login_required
def notices(request):
    """The user's notices, newest first. Reading the page reads them: the ones shown are
    marked read (those unread until now keep a "new" tag on this visit)."""
    mine = selectors.notices_of(request.user)
    items = list(mine.select_related("case__student")[:100])
    services.notices_mark_read(notices=mine.filter(pk__in=[n.pk for n in items]))
    return render(request, "alerts/notices.html", {"notices": items})


@login_required
@require_POST
def notices_read(request):
    ids = [int(i) for i in request.POST.getlist("notice") if i.isdigit()]
    notices = selectors.notices_of(request.user)
    if ids:
        notices = notices.filter(pk__in=ids)
    services.notices_mark_read(notices=notices)
    return redirect("notices")
