"""Survey pages: client users answer through a signed link and see their own client's satisfaction history;
CMO staff see satisfaction by group (a client user gets 404 there, no existence leak).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients import access
from core.pages import add_form_errors
from metrics.groupings import portfolio_projects, report_period, report_period_context
from metrics.surveys import selectors, services
from metrics.surveys.forms import CSAT_QUESTIONS, SurveyAnswerForm
from metrics.surveys.models import SurveyInvitation, SurveyResponse

GET_POST = require_http_methods(["GET", "POST"])

RECENT_RESPONSES = 25

REFUSED_STATUS = {"answered": 409, "expired": 410}


def _refused(request, *, title: str, message: str, status: int):
    return render(request, "metrics/surveys/refused.html", {"title": title, "message": message}, status=status)


@login_required
def survey_list(request):
    """Client users: surveys to answer and their satisfaction history. Staff: satisfaction by group."""
    user = request.user
    if access.is_client_user(user):
        invitations = [(i, services.invitation_url(i)) for i in services.open_invitations(user=user)]
        mine = (
            SurveyResponse.objects.for_user(user)
            .filter(respondent=user)
            .select_related("project", "issue")
            .order_by("-answered_at")[:10]
        )
        return render(
            request,
            "metrics/surveys/client.html",
            {"invitations": invitations, "history": selectors.satisfaction_history(user=user), "mine": mine},
        )
    if not access.can_view_portfolio(user):
        raise Http404
    by, quarter = report_period(request)
    rows = selectors.satisfaction_report(user=user, by=by, quarter=quarter)
    recent = (
        portfolio_projects(SurveyResponse.objects.for_user(user), user)
        .select_related("project", "project__client", "respondent", "issue")
        .order_by("-answered_at", "-pk")[:RECENT_RESPONSES]
    )
    return render(
        request,
        "metrics/surveys/staff.html",
        {"rows": rows, "recent": recent, **report_period_context(by, quarter)},
    )


@login_required
@GET_POST
def survey_answer(request, token: str):
    """The survey behind a signed link (from the e-mail or the dashboard); answered once, by the invitee."""
    try:
        invitation_id, recipient_id = services.invitation_id_from_token(token)
    except signing.BadSignature:
        return _refused(
            request,
            title=_("This survey link is not valid"),
            message=_(
                "The link is damaged or was not issued by the portal, so nothing was recorded. "
                "Open the survey from your dashboard instead."
            ),
            status=400,
        )
    invitation = (
        SurveyInvitation.objects.for_user(request.user)
        .filter(pk=invitation_id, recipient=request.user)
        .select_related("project", "round", "round__milestone")
        .first()
    )
    if invitation is None or recipient_id != request.user.pk:
        raise Http404
    try:
        services.invitation_check_open(actor=request.user, invitation=invitation)
    except PermissionDenied as denied:
        raise Http404 from denied
    except services.SurveyRefused as refused:
        return _refused(
            request,
            title=_("This survey is closed"),
            message=refused.messages[0],
            status=REFUSED_STATUS.get(refused.code, 409),
        )
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.survey_answer(
                actor=request.user,
                invitation=invitation,
                answers=form.answers(),
                comment=form.cleaned_data["comment"],
            )
        except services.SurveyRefused as refused:
            return _refused(
                request,
                title=_("This survey is closed"),
                message=refused.messages[0],
                status=REFUSED_STATUS.get(refused.code, 409),
            )
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            text = (
                _(
                    "Thank you — your answers were recorded. "
                    "We opened an issue so that your project manager follows this up with you."
                )
                if response.issue_id
                else _("Thank you — your answers were recorded.")
            )
            messages.success(request, text)
            return redirect("survey-list")
    return render(
        request,
        "metrics/surveys/answer.html",
        {"invitation": invitation, "form": form, "questions": zip(form.csat_fields(), CSAT_QUESTIONS, strict=True)},
    )
