"""Request body parsers of the API (a module of its own: DRF's settings import it while DRF itself loads)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """JSON bodies nested too deeply for Python's parser answer 400 (a RecursionError is not a server fault)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON nested too deeply.") from error
