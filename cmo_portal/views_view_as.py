"""Pages of "view as client" (cmo_portal.view_as): choose a client's approver to view as, and exit."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from clients import access
from clients.models import Client, User
from cmo_portal import view_as
from cmo_portal.view_as_forms import ViewAsStartForm


def _safe_next(request, url: str, *, client_page: bool) -> str | None:
    """``url`` if it is a path of this site (and, for ``client_page``, one of the pages shown as the client)."""
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return None
    if not url.startswith("/") or url.startswith("//"):
        return None
    try:
        match = resolve(url.split("?", 1)[0])
    except Resolver404:
        return None
    if client_page:
        return url if match.view_name in view_as.CLIENT_PAGES else None
    return url if match.view_name in view_as.STAFF_PAGES_TOO or match.view_name not in view_as.CLIENT_PAGES else None


@login_required
@require_http_methods(["GET", "POST"])
def view_as_start(request, pk: int):
    """Staff choose one of the client's active approvers; the portal then shows that approver's pages, read-only."""
    if not access.is_staff_user(request.user):
        raise Http404  # a client user never starts it (nor learns which clients exist)
    client = get_object_or_404(Client.objects.for_user(request.user), pk=pk)
    form = ViewAsStartForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    refusal, status = "", 200
    if request.method == "POST" and form.is_valid():
        target = User.objects.filter(pk=form.cleaned_data["user"]).first()
        try:
            view_as.view_as_start(request=request, actor=request.user, client=client, target=target)
        except view_as.ViewAsRefused as refused:
            refusal, status = str(refused), 403
        else:
            return redirect(_safe_next(request, form.cleaned_data["next"], client_page=True) or "dashboard")
    elif request.method == "POST":
        status = 400
    allowed = access.can_view_as_client(request.user, client)
    if not allowed and not refusal:
        refusal, status = view_as._refusal(request.user, client, None), 403
    context = {
        "client": client,
        "approvers": view_as.approvers_to_view_as(actor=request.user, client=client),
        "form": form,
        "refusal": refusal,
        "next": form["next"].value() or "",
    }
    return render(request, "view_as/start.html", context, status=status)


@login_required
@require_POST
def view_as_stop(request):
    """Exit: back to the page the staff member was on (as themself), else to the client's start page."""
    state = request.session.get(view_as.SESSION_KEY) or {}
    view_as.view_as_stop(request=request, actor=request.user)
    back = _safe_next(request, request.POST.get("next", ""), client_page=False)
    if back:
        return redirect(back)
    if state.get("client"):
        return redirect("view-as-start", pk=state["client"])
    return redirect("home")
