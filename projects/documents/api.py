"""API of documents: list and read, upload (multipart), versions, download, issue for review, approve or reject with
an e-signature. Scoped by ``for_user``: an internal or another client's document is a 404 on every route."""

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import access
from core.api import ScopedModelViewSet
from core.serializers import StrictModelSerializer, StrictSerializer
from projects.change_requests.api import CanSignForClient, ChangeRequestSignSerializer, decide_with_signature
from projects.change_requests.models import ChangeRequest
from projects.documents import services
from projects.documents.file_types import ACCEPTED, EXTENSIONS
from projects.documents.models import Document, DocumentVersion, VersionStatus
from projects.documents.selectors import document_versions
from projects.documents.views import version_file_response
from projects.milestones.models import Milestone
from projects.quality.models import Batch, QualityEvent
from projects.record_api import (
    CanWriteProjects,
    ProjectRecordFilter,
    ProjectRecordSerializer,
    ScopedRelatedField,
    user_name,
)
from projects.signatures.api import SignatureSerializer

# The content types a version's download may answer with (read from its bytes at upload).
ACCEPTED_TYPES = tuple(EXTENSIONS)


class DocumentFilter(ProjectRecordFilter):
    status = filters.ChoiceFilter(
        field_name="current__status", choices=VersionStatus.choices, help_text=_("The current version's status.")
    )

    class Meta:
        model = Document
        fields = ["project", "client", "kind", "visibility", "status"]


class VersionSignatureSerializer(SignatureSerializer):
    def get_verdict(self, obj) -> str:
        return obj.verdict  # verified against the stored bytes by ``selectors.document_versions``


class DocumentVersionSerializer(StrictModelSerializer):
    uploaded_by_name = serializers.SerializerMethodField(help_text=_("Who uploaded this version."))
    decided_by_name = serializers.SerializerMethodField(help_text=_("The client approver who decided, if decided."))
    download = serializers.SerializerMethodField(help_text=_("Where the file is downloaded (API)."))

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "number",
            "original_filename",
            "size",
            "sha256",
            "content_type",
            "uploaded_by_name",
            "uploaded_at",
            "status",
            "issued_at",
            "decided_at",
            "decided_by_name",
            "download",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {
                "help_text": _("draft → in_review (issued for client review) → approved | rejected; superseded.")
            }
        }

    def get_uploaded_by_name(self, obj) -> str:
        return obj.uploaded_by.display_name

    def get_decided_by_name(self, obj) -> str | None:
        return user_name(obj.decided_by)

    def get_download(self, obj) -> str:
        return f"/api/v1/documents/{obj.document_id}/versions/{obj.number}/download/"


class DocumentVersionWithSignaturesSerializer(DocumentVersionSerializer):
    signatures = serializers.SerializerMethodField(help_text=_("E-signatures, each verified against the stored bytes."))

    class Meta(DocumentVersionSerializer.Meta):
        fields = [*DocumentVersionSerializer.Meta.fields, "signatures"]
        read_only_fields = fields

    @extend_schema_field(VersionSignatureSerializer(many=True))
    def get_signatures(self, obj) -> list:
        return VersionSignatureSerializer(obj.signatures, many=True, context=self.context).data


def _linked(model):
    return ScopedRelatedField(queryset=model.objects.all(), required=False, allow_null=True)


class DocumentSerializer(ProjectRecordSerializer):
    milestone = _linked(Milestone)
    batch = _linked(Batch)
    quality_event = _linked(QualityEvent)
    change_request = _linked(ChangeRequest)
    file = serializers.FileField(
        write_only=True,
        help_text=format_lazy(
            _("The first version's file (multipart): {accepted}, checked by content."), accepted=ACCEPTED
        ),
    )
    current = DocumentVersionSerializer(read_only=True, help_text=_("The current (newest) version."))
    created_by_name = serializers.SerializerMethodField(help_text=_("Who added the document."))

    class Meta:
        model = Document
        fields = [
            "id",
            "project",
            "project_code",
            "title",
            "kind",
            "visibility",
            "milestone",
            "batch",
            "quality_event",
            "change_request",
            "created_by_name",
            "created_at",
            "current",
            "file",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "milestone": {"help_text": _("Id of a milestone of the project it is about (staff only see links).")}
        }

    def get_created_by_name(self, obj) -> str:
        return obj.created_by.display_name

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not access.can_see_internal(self.context["request"].user):
            for name in services.LINKS:  # a link may point at an internal record: clients are not shown links
                data[name] = None
        return data


class DocumentVersionUploadSerializer(StrictSerializer):
    file = serializers.FileField(
        help_text=format_lazy(
            _("The new version's file (multipart): {accepted}, checked by content."), accepted=ACCEPTED
        )
    )


class DocumentViewSet(ScopedModelViewSet):
    """Documents of projects. PMs upload (multipart) and issue versions for client review; the client's approvers
    approve or reject the version in review with an e-signature. Clients see shared documents only."""

    queryset = Document.objects.select_related(
        "project", "created_by", "current", "current__uploaded_by", "current__decided_by"
    )
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["created_at", "title"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.document_create(actor=self.request.user, project=data.pop("project"), **data)

    def _document(self, document: Document) -> Response:
        document = self.get_queryset().get(pk=document.pk)
        return Response(DocumentSerializer(document, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], request=None, responses=DocumentVersionWithSignaturesSerializer(many=True))
    @extend_schema(methods=["POST"], request=DocumentVersionUploadSerializer, responses=DocumentVersionSerializer)
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def versions(self, request, pk=None):
        """Every version, newest first, with verified signatures; POST uploads a new version (it supersedes)."""
        document = self.get_object()
        if request.method == "POST":
            serializer = DocumentVersionUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            version = services.document_version_add(
                actor=request.user, document=document, file=serializer.validated_data["file"]
            )
            return Response(DocumentVersionSerializer(version).data, status=201)
        versions = document_versions(user=request.user, document=document)
        return Response(DocumentVersionWithSignaturesSerializer(versions, many=True).data)

    @extend_schema(
        request=None,
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in ACCEPTED_TYPES},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<number>[0-9]{1,9})/download",
        url_name="download",
        filter_backends=[],
    )
    def download(self, request, pk=None, number=None):
        """A version's file as an attachment; recorded as a download in the security trail."""
        document = self.get_object()
        version = (
            DocumentVersion.objects.for_user(request.user)
            .select_related("document", "document__project")
            .filter(document=document, number=int(number))
            .first()
        )
        if version is None:
            raise Http404
        return version_file_response(request, version)

    @extend_schema(request=None, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Issue the current draft version of a shared document for client review (its approvers are notified)."""
        document = self.get_object()
        services.document_version_issue(actor=request.user, version=document.current)
        return self._document(document)

    def _decide(self, request, approve: bool) -> Response:
        version = self.get_object().current
        return decide_with_signature(request, services.document_version_decide, approve=approve, version=version)

    @extend_schema(request=ChangeRequestSignSerializer, responses=SignatureSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanSignForClient])
    def approve(self, request, pk=None):
        """Approve the version in review (client approver, e-signature over the version and its bytes' SHA-256)."""
        return self._decide(request, approve=True)

    @extend_schema(request=ChangeRequestSignSerializer, responses=SignatureSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanSignForClient])
    def reject(self, request, pk=None):
        """Reject the version in review (client approver, e-signature)."""
        return self._decide(request, approve=False)
