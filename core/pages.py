"""Helpers every page view uses: a record out of scope is a 404, a service's errors land on the form."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404


def get_or_404(fn, **kwargs):
    """Call a selector; any ``DoesNotExist`` (not found or not in the user's scope) answers 404, never 403."""
    try:
        return fn(**kwargs)
    except ObjectDoesNotExist as error:
        raise Http404 from error


def add_form_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the named field, else on the form as a whole."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
