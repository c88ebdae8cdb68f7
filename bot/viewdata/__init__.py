"""Plain data shared by services (which produce it) and Block Kit builders (which draw it)."""
