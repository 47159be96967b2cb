"""Forms of the issue pages: raise, comment, resolve."""

from django import forms

from projects.records import Visibility


class IssueRaiseForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.SHARED)

    def __init__(self, *args, for_client: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]  # a client's issue is always shared


class IssueCommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class IssueResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
