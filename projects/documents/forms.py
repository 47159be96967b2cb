"""Forms of the document pages: upload a document, upload a new version, filter the list."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from projects.documents.file_types import ACCEPTED
from projects.documents.models import DocumentKind, VersionStatus
from projects.documents.services import document_file_check
from projects.list_forms import ListFilterForm
from projects.records import Visibility

ACCEPT_ATTR = ".pdf,.png,.jpg,.jpeg,.xlsx,.docx,.csv,.txt"


class DocumentFileField(forms.FileField):
    """A file checked by its content (type and size) as the form is cleaned: a refused file is a form error."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", format_lazy(_("{accepted}; the type is checked from the content."), accepted=ACCEPTED)
        )
        super().__init__(widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR}), **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            try:
                document_file_check(upload)
            except ValidationError as error:
                raise ValidationError(error.message_dict["file"]) from error
        return upload


class DocumentUploadForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    kind = forms.ChoiceField(choices=DocumentKind.choices, initial=DocumentKind.REPORT, label=_("Kind"))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.SHARED, label=_("Visibility"))
    milestone = forms.ModelChoiceField(queryset=None, required=False, label=_("About milestone"))
    batch = forms.ModelChoiceField(queryset=None, required=False, label=_("About batch"))
    quality_event = forms.ModelChoiceField(queryset=None, required=False, label=_("About quality event"))
    change_request = forms.ModelChoiceField(queryset=None, required=False, label=_("About change request"))
    file = DocumentFileField(label=_("File"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = project.milestones.order_by("sequence")
        self.fields["batch"].queryset = project.batches.order_by("number")
        self.fields["quality_event"].queryset = project.quality_events.order_by("reference")
        self.fields["change_request"].queryset = project.change_requests.order_by("number")


class DocumentVersionForm(forms.Form):
    file = DocumentFileField(label=_("New version"))


class DocumentFilterForm(ListFilterForm):
    """The document list's filters: kind, the current version's status and (CMO staff) visibility."""

    kind = forms.ChoiceField(required=False, label=_("Kind"), choices=[("", _("Any kind")), *DocumentKind.choices])
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Any status")), *VersionStatus.choices]
    )
    visibility = forms.ChoiceField(
        required=False, label=_("Visibility"), choices=[("", _("Shared and internal")), *Visibility.choices]
    )

    def __init__(self, *args, for_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]
