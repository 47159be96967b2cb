"""Optimistic locking: a write that was based on an older version of the record is refused."""

from django.utils.translation import gettext as _


class StaleVersion(Exception):
    """The record changed since the caller read it (pages answer 409 with the current values, the API 412)."""

    def __init__(self, *, current):
        super().__init__(_("The record was changed by someone else since you loaded it."))
        self.current = current
