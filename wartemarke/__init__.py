"""Wartemarke: on-site queue management and kiosk system for pop-up citizen offices."""

__version__ = "0.1.0"
