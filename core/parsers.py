"""Request body parsers of the API (a module of its own: DRF's settings import it while DRF itself loads)."""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser


class BoundedJSONParser(JSONParser):
    """JSON bodies nested too deeply for Python's parser answer 400 (a RecursionError is not a server fault)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("JSON nested too deeply.")) from error


class StrictMultiPartParser(MultiPartParser):
    """A multipart body with content but no named part is a 400: Django skips nameless parts silently, so such a
    body would read as an empty form (and, say, a PATCH of nothing succeed)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if not parsed.data and not parsed.files:
            boundary = re.search(r'boundary="?([^";]+)', media_type or "")
            length = int((parser_context or {})["request"].META.get("CONTENT_LENGTH") or 0)
            empty_form = len(boundary.group(1)) + 8 if boundary else 0  # --boundary--CRLF, with some slack
            if length > empty_form:
                raise ParseError(
                    _("The multipart body has no named part (%(header)s).")
                    % {"header": "Content-Disposition: form-data; name=..."}
                )
        return parsed
