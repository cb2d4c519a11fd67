"""Models of the fields app."""
