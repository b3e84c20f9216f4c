"""postpress-frames."""
