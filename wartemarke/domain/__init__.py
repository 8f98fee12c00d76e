"""The queue domain: plain Python, no framework imports, fully unit-testable."""
