"""The lake: the warehouse's tables as Hive-partitioned Parquet that DuckDB and Spark both read,
and ingest into it with Spark (the same normalisation SQL, run by DuckDB inside each task)."""
