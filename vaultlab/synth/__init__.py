"""Synthetic audit logs with planted findings (Vault, CloudTrail), and the shipped sample data."""
