"""Exceptions raised by the printing layer."""

from __future__ import annotations


class PrinterError(Exception):
    """Base class of every printing failure."""


class PrinterConfigError(PrinterError, ValueError):
    """The printer URL or profile is invalid, or the transport's dependency is missing."""


class PrinterUnavailableError(PrinterError):
    """The printer could not be reached, or the job could not be delivered in time."""


class DeliveryUnconfirmedError(PrinterUnavailableError):
    """The job's bytes went out but the printer never confirmed them: it may or may not print
    the job, so sending it again could print it twice."""
