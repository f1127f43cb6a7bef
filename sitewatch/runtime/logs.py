"""Log output: plain text lines by default, or one JSON object per line (``--log-format json``,
``daemon.log_format: json``) for a log shipper.

A JSON line has ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger`` and
``message``; and ``site``, ``incident`` and ``escalation`` where the line concerns one (the
log call passes them as ``extra={"site": ...}``); ``error`` holds a traceback when there is one.

Logs are quiet: sitewatch logs changes (a site stops answering, an incident opens, a channel
goes down), never every poll, so a site down for a week adds a line when it goes down and one
when it comes back.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

__all__ = ["CONTEXT_FIELDS", "FORMATS", "JsonFormatter", "LogFormat", "add_format_option", "configure",
           "set_format"]

LogFormat = Literal["text", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "json")
#: what a line may concern, passed by the log call as ``extra``
CONTEXT_FIELDS = ("site", "incident", "escalation")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: the handler ``configure`` installed, whose format ``set_format`` changes
_installed: list[logging.Handler] = []


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["error"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def add_format_option(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--log-format``, on the ``sitewatch`` command (``top``) and on the commands that run
    for long (given after the command name, it wins)."""
    parser.add_argument("--log-format", choices=FORMATS, default=None if top else argparse.SUPPRESS,
                        help="log lines as plain text or one JSON object per line (default: text, or "
                             "daemon.log_format from the configuration)")


def _formatter(fmt: LogFormat) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, fmt: LogFormat = "text") -> None:
    """Log to stderr at ``level`` in ``fmt``, unless logging is already set up (by an
    embedding program or a test runner), which is then left as it is."""
    root = logging.getLogger()
    if root.handlers:
        return
    root.setLevel(level.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(fmt))
    root.addHandler(handler)
    _installed[:] = [handler]


def set_format(fmt: LogFormat) -> None:
    """Switch the handler ``configure`` installed to ``fmt`` (the configuration file's
    ``daemon.log_format``, known only once it is loaded)."""
    for handler in _installed:
        handler.setFormatter(_formatter(fmt))
