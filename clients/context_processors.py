"""Template context for every page: what the user may do, decided by clients/access.py (no role literals)."""

from clients import access


def permissions(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_lead": access.can_lead(user),
        "sees_own_projects_only": access.sees_own_projects_only(user),
        # Password accepted, second factor pending (clients.two_factor): the page shows no navigation.
        "two_factor_pending": bool(request.session.get("two_factor_step")) if hasattr(request, "session") else False,
    }
