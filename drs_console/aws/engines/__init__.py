"""Recovery engines: one module per engine (``stepfunctions``: our deployed backend)."""
