"""kiosk screen."""
