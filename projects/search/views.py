"""``/search/?q=``: the search page, results grouped by kind, each linking to the page that shows it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from projects.search.kinds import BY_KEY, KINDS
from projects.search.selectors import MAX_LENGTH, PER_KIND, PER_KIND_ALONE, search, search_text_clean


@login_required
@require_GET
def search_page(request):
    """Empty: the box alone. Too short, too long or an unknown kind: 400 with a sentence. Else the groups."""
    raw = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    context = {"q": raw[: MAX_LENGTH * 2], "kind": BY_KEY.get(kind), "kinds": KINDS, "groups": [], "error": ""}
    context["per_kind"] = PER_KIND_ALONE if kind else PER_KIND
    if not raw.strip() and not kind:
        return render(request, "search.html", context)
    try:
        if kind and kind not in BY_KEY:
            raise ValidationError(_("Unknown kind of record."))
        text = search_text_clean(raw)
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "search.html", context, status=400)
    context["q"] = text
    context["groups"] = search(user=request.user, text=text, kind=kind)
    context["total"] = sum(group.count for group in context["groups"])
    return render(request, "search.html", context)
