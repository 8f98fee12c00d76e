"""Exceptions raised by the printing layer."""

from __future__ import annotations


class PrinterError(Exception):
    """Base class of every printing failure."""


class PrinterConfigError(PrinterError, ValueError):
    """The printer URL or profile is invalid, or the transport's dependency is missing."""


class PrinterUnavailableError(PrinterError):
    """The printer could not be reached, or the job could not be delivered in time."""
