"""Error pages: API paths answer JSON even when no route matches (docs/api.md: errors are always JSON)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Server error. The team has been told; please try again later.")}, status=500)
    return defaults.server_error(request)
