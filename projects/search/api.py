"""``/api/v1/search/?q=``: the search, as the page shows it, for every logged-in user (scoped by ``for_user``)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.filtering import validated_query
from core.serializers import StrictSerializer
from projects.search.kinds import KINDS
from projects.search.selectors import MAX_LENGTH, MIN_LENGTH, PER_KIND, PER_KIND_ALONE, search, search_text_clean


class SearchQuerySerializer(StrictSerializer):
    q = serializers.CharField(
        max_length=MAX_LENGTH * 2,  # the cleaned text is checked against MAX_LENGTH below, with a sentence
        trim_whitespace=False,
        help_text=format_lazy(
            _('Words to find ({min}–{max} characters): web-search syntax, "a phrase", -excluded, word OR word.'),
            min=MIN_LENGTH,
            max=MAX_LENGTH,
        ),
    )
    kind = serializers.ChoiceField(
        choices=[kind.key for kind in KINDS],
        required=False,
        help_text=format_lazy(
            _("Only this kind of record (up to {alone} results instead of {per_kind})."),
            alone=PER_KIND_ALONE,
            per_kind=PER_KIND,
        ),
    )

    def validate_q(self, value: str) -> str:
        try:
            return search_text_clean(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class SearchHitSerializer(StrictSerializer):
    kind = serializers.CharField()
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    context = serializers.CharField(help_text=_("The project's code (for a project: its client and product)."))
    excerpt = serializers.CharField(help_text=_("The record's description, shortened; may be empty."))
    url = serializers.CharField(help_text=_("The page that shows the record."))
    api_url = serializers.CharField(help_text=_("The record in this API."))
    rank = serializers.FloatField(help_text=_("PostgreSQL ts_rank: higher is a better match (only within a kind)."))


class SearchGroupSerializer(StrictSerializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Every match of this kind the caller may see."))
    more = serializers.IntegerField(help_text=_("Matches not listed (ask again with kind=… for more)."))
    results = SearchHitSerializer(many=True, source="hits")


class SearchResultSerializer(StrictSerializer):
    q = serializers.CharField(help_text=_("The words as searched (spaces collapsed)."))
    groups = SearchGroupSerializer(many=True, help_text=_("One group per kind, in a fixed order, best rank first."))


class SearchView(APIView):
    """Projects, milestones, change requests, issues, risks, quality events and documents the caller may open,
    grouped by kind (``projects.search.kinds.KINDS``); a client user finds only their client's shared records.
    One query per kind."""

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchResultSerializer)
    def get(self, request):
        query = validated_query(request, SearchQuerySerializer)
        groups = search(user=request.user, text=query["q"], kind=query.get("kind", ""))
        return Response(SearchResultSerializer({"q": query["q"], "groups": groups}).data)
