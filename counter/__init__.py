"""counter screen."""
