"""Stage 2, snapshots: dated inventories, policy sets, live collections and log-integrity runs."""
