"""Stage 4, controls: frameworks (`*.yaml`) map requirements to checks (`checks/*.sql`, each
described by its own header); a run evaluates them for a period and records the results."""
