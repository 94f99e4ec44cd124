"""Local files: plan library, inventory cache, settings. Every write is atomic."""
