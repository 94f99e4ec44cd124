"""boto3 sessions and services that return domain objects. No Qt."""
