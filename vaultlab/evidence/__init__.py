"""Stage 5, evidence: evidence tables, the report (HTML, charts), the notebooks, and packs with a
manifest that `vaultlab verify` checks."""
