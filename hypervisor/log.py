"""structlog set-up: one structured event per line, to stderr or to a log file (-l)."""
from __future__ import annotations

import logging
import sys

import structlog

LEVELS = ("debug", "info", "warning", "error", "critical")


def configure(level: str = "info", logfile: str | None = None) -> None:
    stream = open(logfile, "a", buffering=1, encoding="utf-8") if logfile else sys.stderr
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def get_logger(**bound):
    return structlog.get_logger("pydynamips", **bound)
