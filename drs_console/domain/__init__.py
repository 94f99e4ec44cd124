"""Pure-Python domain: plans, waves, statuses, validation, execution views.

Nothing in this package may import Qt or boto3 (enforced by import-linter).
"""
