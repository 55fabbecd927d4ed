"""Live collectors (hvac for Vault, boto3 for AWS Secrets Manager): metadata only, never a secret
value. They return a `vaultlab.snapshots.collected.Collected`, stored as snapshots."""
