"""One JSON object per log line (LOG_FORMAT=json), for a log pipeline to index without parsing.

Ten lines of our own rather than a library: the fields are fixed
(config/log_context.py puts the ids on the record) and the standard
library's json does the escaping.
"""

import json
import logging
from datetime import UTC, datetime

from .log_context import FIELDS


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Only the ids known here: a line of the beat scheduler has none.
        line |= {name: value for name in FIELDS if (value := getattr(record, name, None)) is not None}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
