"""Template context for every page: the unread-notification count behind the bell in the top bar."""

from functools import cache

from projects.notifications.models import Notification


def notifications(request) -> dict:
    """``unread_notification_count``: lazy (one query, only when a template shows it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread_notification_count() -> int:
        return Notification.objects.for_user(user).filter(read_at__isnull=True).count()

    return {"unread_notification_count": unread_notification_count}
