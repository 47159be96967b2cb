"""API of internal cost entries (with the CSV import) and invoices."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from core.api import ScopedModelViewSet
from core.parsers import BoundedJSONParser, StrictMultiPartParser
from core.serializers import StrictSerializer
from projects.costs import services
from projects.costs.models import CostEntry, Invoice
from projects.record_api import (
    CanWriteProjects,
    ProjectRecordFilter,
    ProjectRecordSerializer,
    project_field,
    user_name,
)

MAX_CSV_BYTES = 5 * 1024 * 1024


class CostEntryFilter(ProjectRecordFilter):
    class Meta:
        model = CostEntry
        fields = ["project", "client", "category"]


class InvoiceFilter(ProjectRecordFilter):
    class Meta:
        model = Invoice
        fields = ["project", "client"]


class CostEntrySerializer(ProjectRecordSerializer):
    created_by_name = serializers.SerializerMethodField(help_text=_("Who recorded the cost."))
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("Why (recorded in the audit trail).")
    )

    class Meta:
        model = CostEntry
        fields = [
            "id",
            "project",
            "project_code",
            "date",
            "amount",
            "category",
            "description",
            "created_by_name",
            "reason",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "amount": {"help_text": _("Actual cost in the project's currency (internal, never shown to the client).")},
            "date": {"help_text": _("When the cost was incurred.")},
        }

    def get_created_by_name(self, obj) -> str | None:
        return user_name(obj.created_by)


class CostImportSerializer(StrictSerializer):
    project = project_field()
    csv = serializers.CharField(
        required=False,
        trim_whitespace=False,
        help_text=_("CSV text with the header date,amount,category[,description] (JSON requests)."),
    )
    file = serializers.FileField(
        required=False, help_text=_("The same CSV as an uploaded file, UTF-8 (multipart requests).")
    )

    def validate(self, attrs):
        if bool(attrs.get("csv")) == bool(attrs.get("file")):
            raise serializers.ValidationError(
                {"csv": [gettext("Send the CSV either as text (csv) or as a file (file).")]}
            )
        upload = attrs.pop("file", None)
        if upload is not None:
            if upload.size > MAX_CSV_BYTES:
                raise serializers.ValidationError({"file": [gettext("The file is larger than 5 MB.")]})
            try:
                attrs["csv"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise serializers.ValidationError({"file": [gettext("The file is not UTF-8 text.")]}) from error
        return attrs


class CostImportResultSerializer(StrictSerializer):
    count = serializers.IntegerField(help_text=_("How many cost entries were imported."))


class CostEntryViewSet(ScopedModelViewSet):
    """Internal cost entries (actual cost). CMO staff only: client users get an empty list and 404."""

    queryset = CostEntry.objects.select_related("project", "created_by")
    serializer_class = CostEntrySerializer
    filterset_class = CostEntryFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["date", "amount"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.cost_entry_create(actor=self.request.user, project=data.pop("project"), **data)

    @extend_schema(
        request={"application/json": CostImportSerializer, "multipart/form-data": CostImportSerializer},
        responses={201: CostImportResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[BoundedJSONParser, StrictMultiPartParser, FormParser],
    )
    def import_csv(self, request):
        """Import cost entries from CSV, all or nothing: a bad row imports nothing and names its line and column."""
        serializer = CostImportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        created = services.cost_entries_import_csv(
            actor=request.user, project=serializer.validated_data["project"], text=serializer.validated_data["csv"]
        )
        return Response({"count": len(created)}, status=status.HTTP_201_CREATED)


# --- Invoices (shared) -----------------------------------------------------------------------


class InvoiceSerializer(ProjectRecordSerializer):
    class Meta:
        model = Invoice
        fields = ["id", "project", "project_code", "number", "date", "amount", "description"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "number": {"help_text": _("The invoice number, unique within the project.")},
            "amount": {"help_text": _("Amount invoiced to the client, in the project's currency.")},
        }


class InvoiceViewSet(ScopedModelViewSet):
    """Invoices to the client: everyone in scope reads them; the project's PM or an admin records them."""

    queryset = Invoice.objects.select_related("project")
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["date", "number", "amount"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.invoice_create(actor=self.request.user, project=data.pop("project"), **data)
