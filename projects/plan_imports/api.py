"""API of plan imports (Microsoft Project XML or CSV): into an existing project, or as a new project.

``POST /api/v1/projects/{id}/plan-import/`` and ``POST /api/v1/plan-imports/`` take the plan as a file (multipart)
or as text (JSON), the audit trail's ``reason`` and ``dry_run``: ``true`` answers the preview (200) and writes
nothing; otherwise the import writes everything or nothing (201). A bad file answers 400 with a field map whose
messages name the line (``{"file": ["Line 12, task 7 “…”: …"]}``). Who may: as the pages (the project's manager or an
administrator; a new project: project managers and administrators); other roles 403, another client's project 404.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.fields import empty
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from clients.models import Client
from core.parsers import BoundedJSONParser, StrictMultiPartParser
from core.serializers import StrictSerializer
from projects.api.serializers import ProjectSerializer
from projects.milestones import plan_import
from projects.milestones import services as milestone_services
from projects.milestones.plan_import import PlanPreview
from projects.plan_imports import services
from projects.record_api import CanWriteProjects, ScopedRelatedField
from projects.records import Project

PARSERS = [BoundedJSONParser, StrictMultiPartParser, FormParser]


class OptionalBooleanField(serializers.BooleanField):
    """A boolean with a default that a form body may leave out (DRF reads a missing form boolean as ``False``, which
    the strict input rule would refuse as not spelled ``true``/``false``)."""

    default_empty_html = empty


class PlanFileSerializer(StrictSerializer):
    """The plan (a file or its text), which of its tasks to import, the reason and ``dry_run``."""

    file = serializers.FileField(
        required=False,
        help_text=gettext_lazy(
            "The plan as an uploaded file (multipart): Microsoft Project XML (File › Save As › XML) or CSV "
            "id,name,start,finish,predecessors; at most 2 MB."
        ),
    )
    plan = serializers.CharField(
        required=False,
        trim_whitespace=False,
        help_text=gettext_lazy("The same plan as text (JSON requests, up to 512 KiB)."),
    )
    scope = serializers.ChoiceField(
        choices=[
            (plan_import.SCOPE_MILESTONES, gettext_lazy("Milestones only (tasks flagged as milestones)")),
            (plan_import.SCOPE_TASKS, gettext_lazy("Every task that is not a summary task")),
        ],
        default=plan_import.SCOPE_MILESTONES,
        help_text=gettext_lazy("Microsoft Project XML only: every CSV row is a milestone."),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=gettext_lazy("Why (required unless dry_run): recorded in the audit trail with every record created."),
    )
    dry_run = OptionalBooleanField(
        default=False, help_text=gettext_lazy("true: answer the preview (200) and write nothing.")
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        upload, text = attrs.pop("file", None), attrs.pop("plan", None)
        if (upload is None) == (not text):
            raise serializers.ValidationError({"file": [_("Send the plan either as a file (file) or as text (plan).")]})
        if upload is not None:
            if upload.size > plan_import.MAX_PLAN_BYTES:
                raise serializers.ValidationError(
                    {
                        "file": [
                            _("The file is larger than %(size)s MB.")
                            % {"size": plan_import.MAX_PLAN_BYTES // 1_000_000}
                        ]
                    }
                )
            attrs["plan_field"], attrs["plan_name"], attrs["plan_data"] = "file", upload.name, upload.read()
        else:
            attrs["plan_field"], attrs["plan_name"], attrs["plan_data"] = "plan", "", text.encode()
        return attrs


class ProjectPlanImportSerializer(PlanFileSerializer):
    replace = OptionalBooleanField(
        default=False,
        help_text=gettext_lazy(
            "Replace the project's milestones: only before the project starts (no baseline), while nothing refers "
            "to them."
        ),
    )


class NewProjectPlanImportSerializer(ProjectSerializer, PlanFileSerializer):
    """The new project's fields (as ``POST /api/v1/projects/``, without a template or manager: the PM who imports
    manages it) and the plan; empty dates come from the plan."""

    client = ScopedRelatedField(
        queryset=Client.objects.filter(active=True), help_text=gettext_lazy("Id of the client (an active one).")
    )

    class Meta(ProjectSerializer.Meta):
        fields = [*services.PROJECT_FIELDS, "file", "plan", "scope", "reason", "dry_run"]
        read_only_fields: list[str] = []
        extra_kwargs = {
            "start_date": {"required": False, "help_text": gettext_lazy("Empty: the plan's first day.")},
            "target_date": {"required": False, "help_text": gettext_lazy("Empty: the plan's last finish.")},
        }

    def validate(self, attrs):
        attrs = ProjectSerializer.validate(self, attrs)
        return PlanFileSerializer.validate(self, attrs)


class PlanRowSerializer(StrictSerializer):
    line = serializers.IntegerField(help_text=gettext_lazy("The line of the file the task starts on."))
    task = serializers.CharField(help_text=gettext_lazy("The task's UID (MS Project) or id (CSV)."))
    name = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    finish = serializers.DateField(help_text=gettext_lazy("The milestone's due date (baseline and forecast)."))
    duration_days = serializers.IntegerField()
    predecessors = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("Tasks of the file it waits for (finish-to-finish).")
    )
    id = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The milestone created (null in a dry run)."))


class PlanImportResultSerializer(StrictSerializer):
    dry_run = OptionalBooleanField()
    project = ProjectSerializer(help_text=gettext_lazy("The project (a new one's id is null in a dry run)."))
    source = serializers.CharField(help_text=gettext_lazy("Microsoft Project XML or CSV."))
    tasks_read = serializers.IntegerField()
    milestones = PlanRowSerializer(many=True)
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("What is read but not imported (SS and SF links).")
    )


def _read(data: dict) -> PlanPreview:
    """The plan read from the request; its errors answer 400 under the field the plan came in."""
    preview = plan_import.read_plan(data["plan_data"], filename=data["plan_name"], scope=data["scope"])
    errors = {}
    if preview.errors:
        errors[data["plan_field"]] = list(preview.errors)
    if not data["dry_run"] and not (data.get("reason") or "").strip():
        errors["reason"] = [_("Give the reason for the import: the audit trail records it.")]
    if errors:
        raise serializers.ValidationError(errors)
    return preview


def _written(data: dict, write):
    """``write()``; a refusal naming the file is told under the field the plan came in."""
    try:
        return write()
    except DjangoValidationError as error:
        if hasattr(error, "error_dict") and data["plan_field"] != "file" and "file" in error.error_dict:
            error.error_dict[data["plan_field"]] = error.error_dict.pop("file")
        raise


def _result(request, *, dry_run: bool, project: Project, preview: PlanPreview, milestones=None) -> dict:
    ids = [m.pk for m in milestones] if milestones is not None else [None] * len(preview.rows)
    rows = [
        {
            "line": row.line,
            "task": row.key,
            "name": row.name,
            "start": row.start,
            "finish": row.finish,
            "duration_days": row.duration_days,
            "predecessors": list(row.predecessors),
            "id": pk,
        }
        for row, pk in zip(preview.rows, ids, strict=True)
    ]
    return PlanImportResultSerializer(
        {
            "dry_run": dry_run,
            "project": project,
            "source": preview.source,
            "tasks_read": preview.tasks_read,
            "milestones": rows,
            "warnings": list(preview.warnings),
        },
        context={"request": request},
    ).data


class ProjectPlanImportView(generics.GenericAPIView):
    """Import milestones and their dependencies from a plan into a project (its manager or an administrator)."""

    queryset = Project.objects.select_related("client", "manager")
    serializer_class = ProjectPlanImportSerializer
    permission_classes = [CanWriteProjects]
    parser_classes = PARSERS
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)

    @extend_schema(
        request={"application/json": ProjectPlanImportSerializer, "multipart/form-data": ProjectPlanImportSerializer},
        responses={200: PlanImportResultSerializer, 201: PlanImportResultSerializer},
    )
    def post(self, request, pk=None):
        """Preview (``dry_run``) or import a plan into the project: all or nothing, with the reason."""
        project = self.get_object()  # 404 outside the caller's scope; 403 unless they edit the project
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        preview = _read(data)
        if data["dry_run"]:
            return Response(_result(request, dry_run=True, project=project, preview=preview))
        created = _written(
            data,
            lambda: milestone_services.milestones_import_plan(
                actor=request.user, project=project, plan=preview, reason=data["reason"], replace=data["replace"]
            ),
        )
        project.refresh_from_db()
        return Response(
            _result(request, dry_run=False, project=project, preview=preview, milestones=created),
            status=status.HTTP_201_CREATED,
        )


class NewProjectPlanImportView(generics.GenericAPIView):
    """A new project with its milestones from a plan (project managers and administrators)."""

    serializer_class = NewProjectPlanImportSerializer
    permission_classes = [CanWriteProjects]
    parser_classes = PARSERS

    @extend_schema(
        request={
            "application/json": NewProjectPlanImportSerializer,
            "multipart/form-data": NewProjectPlanImportSerializer,
        },
        responses={200: PlanImportResultSerializer, 201: PlanImportResultSerializer},
    )
    def post(self, request):
        """Preview (``dry_run``) or create a project and import its plan in one transaction, with the reason."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        preview = _read(data)
        fields = {name: data[name] for name in services.PROJECT_FIELDS if name in data}
        if data["dry_run"]:
            project = services.project_from_plan_check(actor=request.user, plan=preview, **fields)
            return Response(_result(request, dry_run=True, project=project, preview=preview))
        project, created = _written(
            data,
            lambda: services.project_create_from_plan(
                actor=request.user, plan=preview, reason=data["reason"], **fields
            ),
        )
        return Response(
            _result(request, dry_run=False, project=project, preview=preview, milestones=created),
            status=status.HTTP_201_CREATED,
        )
