"""The notification list's filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.list_forms import ListFilterForm


class NotificationFilterForm(ListFilterForm):
    unread = forms.BooleanField(required=False, label=_("Unread only"))
