"""coolchic CLI."""
