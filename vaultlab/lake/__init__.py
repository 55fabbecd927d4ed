"""The lake: a warehouse's tables as Hive-partitioned Parquet, and the engines that read it.

`layout` fixes the folders and files (shared with the Spark ingest); `export` writes a warehouse
into a lake; `duck` serves the views and checks with DuckDB over the lake, `spark` (with the
dialect shims of `spark_sql`) with Apache Spark.
"""
