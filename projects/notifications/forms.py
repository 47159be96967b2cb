"""The notification list's filter."""

from django import forms

from projects.list_forms import ListFilterForm


class NotificationFilterForm(ListFilterForm):
    unread = forms.BooleanField(required=False, label="Unread only")
