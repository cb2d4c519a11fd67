"""Models of the files app."""
