"""Every model of the projects app, for Django's registry; each business thing defines its own in its package.

``Project`` and what the records of a project share live in ``projects.records``; the rest in
``projects.<thing>.models``. Other apps may import any of these names from here.
"""

from projects.baselines.models import Baseline, BaselineItem, BaselineQuerySet, BaselineStatus
from projects.change_requests.models import (
    CLIENT_SEES_CHANGE_REQUEST,
    MAX_SCHEDULE_IMPACT_DAYS,
    ChangeRequest,
    ChangeRequestQuerySet,
    ChangeRequestStatus,
    QualityImpact,
)
from projects.costs.models import CostCategory, CostEntry, Invoice
from projects.documents.models import Document, DocumentKind, DocumentVersion, DocumentVersionQuerySet, VersionStatus
from projects.issues.models import Issue, IssueComment, IssueCommentQuerySet, IssueStatus
from projects.milestones.models import (
    ChecklistItem,
    ChecklistItemQuerySet,
    Milestone,
    MilestoneDependency,
    MilestoneQuerySet,
)
from projects.notifications.models import Notification, NotificationQuerySet
from projects.plan_templates.models import (
    ChecklistItemTemplate,
    MilestoneTemplate,
    ProjectTemplate,
    StaffOnlyQuerySet,
)
from projects.quality.models import Batch, BatchOutcome, QualityEvent, QualityEventKind, Severity
from projects.records import (
    InternalQuerySet,
    Project,
    ProjectChildQuerySet,
    ProjectQuerySet,
    ProjectStatus,
    ServiceType,
    SharedQuerySet,
    TradeoffLevel,
    Visibility,
)
from projects.risks.models import Risk, RiskStatus
from projects.signatures.models import Signature, SignatureMeaning, SignatureQuerySet

__all__ = [
    "CLIENT_SEES_CHANGE_REQUEST",
    "MAX_SCHEDULE_IMPACT_DAYS",
    "Baseline",
    "BaselineItem",
    "BaselineQuerySet",
    "BaselineStatus",
    "Batch",
    "BatchOutcome",
    "ChangeRequest",
    "ChangeRequestQuerySet",
    "ChangeRequestStatus",
    "ChecklistItem",
    "ChecklistItemQuerySet",
    "ChecklistItemTemplate",
    "CostCategory",
    "CostEntry",
    "Document",
    "DocumentKind",
    "DocumentVersion",
    "DocumentVersionQuerySet",
    "InternalQuerySet",
    "Invoice",
    "Issue",
    "IssueComment",
    "IssueCommentQuerySet",
    "IssueStatus",
    "Milestone",
    "MilestoneDependency",
    "MilestoneQuerySet",
    "MilestoneTemplate",
    "Notification",
    "NotificationQuerySet",
    "Project",
    "ProjectChildQuerySet",
    "ProjectQuerySet",
    "ProjectStatus",
    "ProjectTemplate",
    "QualityEvent",
    "QualityEventKind",
    "QualityImpact",
    "Risk",
    "RiskStatus",
    "ServiceType",
    "Severity",
    "SharedQuerySet",
    "Signature",
    "SignatureMeaning",
    "SignatureQuerySet",
    "StaffOnlyQuerySet",
    "TradeoffLevel",
    "VersionStatus",
    "Visibility",
]
