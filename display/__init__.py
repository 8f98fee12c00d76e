"""display screen."""
