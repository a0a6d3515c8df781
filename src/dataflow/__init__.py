"""DataFlow platform package."""
