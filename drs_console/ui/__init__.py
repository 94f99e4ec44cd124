"""The desktop console. Qt only; never imports boto3 (enforced by import-linter)."""
