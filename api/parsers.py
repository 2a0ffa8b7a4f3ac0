import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 the bodies it would let through to a 500.

    - nesting deep enough to exhaust the decoder's recursion (RecursionError
      is not a ValueError, which is all DRF catches);
    - lone surrogates ("\\ud800"): valid JSON escapes but not text, which
      neither PostgreSQL nor a UTF-8 response can hold.

    (DRF reads the body through request.body, so Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE bounds its size.)
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - the text is not valid Unicode.") from None
        return data
