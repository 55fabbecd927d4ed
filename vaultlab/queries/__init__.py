"""Stage 3, queries: the public views (`*.sql` here, one per question) and the named questions
built on them (`evidence/`, `charts/`, `questions/`, `macros/`), with the Python that runs them."""
