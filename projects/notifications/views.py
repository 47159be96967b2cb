"""The user's own notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from core.paging import page_of
from projects.notifications import services as notification_service
from projects.notifications.forms import NotificationFilterForm
from projects.notifications.models import Notification
from projects.pages import GET_POST


def read_notifications_of_this_page(request) -> None:
    """Opening the page a notification points at reads it (the bell counts what is still new)."""
    if request.method == "GET" and getattr(request, "view_as", None) is None:  # staff viewing as read nothing
        unread = Notification.objects.for_user(request.user).filter(url=request.path_info, read_at__isnull=True)
        ids = list(unread.values_list("pk", flat=True))
        if ids:
            notification_service.mark_read(user=request.user, ids=ids)


@login_required
@GET_POST
def notification_list(request):
    """The user's own notifications, newest first; POST marks them all read."""
    if request.method == "POST":
        count = notification_service.mark_read(user=request.user)
        if count:
            messages.success(
                request,
                ngettext("Marked %(count)s notification read.", "Marked %(count)s notifications read.", count)
                % {"count": count},
            )
        return redirect("notifications")
    notifications = Notification.objects.for_user(request.user)
    counts = notifications.aggregate(total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
    filter_form = NotificationFilterForm(request.GET)
    unread_only = filter_form.filters.get("unread")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = page_of(
        notifications.order_by("-created", "-pk"),
        request.GET,
        count=counts["unread"] if unread_only else counts["total"],
    )
    for notification in page.object_list:
        local = notification.url.startswith("/") and url_has_allowed_host_and_scheme(notification.url, None)
        notification.link = notification.url if local else ""
        notification.text = notification.shown_text()  # in the reader's language, for this page only (never saved)
    return render(
        request,
        "projects/constraints/notifications.html",
        {"notifications": page.object_list, "page": page, "filter_form": filter_form, "unread": counts["unread"]},
    )
