"""Stage, then commit: a run's Parquet is written under `_staging/<run>/` and moved into the lake
only when every table of the run is written; a failure before that leaves the lake unchanged.

Files are moved with Hadoop's FileSystem (through Spark's JVM), so the same code serves a
local folder and S3 (S3A). The ledger (`ingest_files`) moves last: a run interrupted during
the moves is then re-ingested, and its duplicates are recognised by their hashes.
"""

from __future__ import annotations

import uuid

from pyspark.sql import DataFrame, SparkSession

from vaultlab.lake.layout import Lake
from vaultlab.lake.spark_session import hadoop_uri


class Staging:
    def __init__(self, spark: SparkSession, lake: Lake):
        self.spark, self.lake = spark, lake
        self.run = uuid.uuid4().hex
        self.root = f"{hadoop_uri(lake.uri)}/_staging/{self.run}"
        jvm = spark.sparkContext._jvm
        self._path = jvm.org.apache.hadoop.fs.Path
        self.fs = self._path(self.root).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        self.fs.setWriteChecksum(False)  # no .crc files beside the Parquet of a local lake
        self.replaced: list[str] = []  # lake files a rewritten partition replaces

    def write(self, df: DataFrame, table: str, folder: str | None = None) -> None:
        """`df` as Parquet under the staging root, partitioned as the lake partitions `table`."""
        writer = df.write.mode("append")
        columns = self.lake.partition_columns(table)
        if columns:
            writer = writer.partitionBy(*columns)
        writer.parquet(f"{self.root}/{folder or table}")

    def files(self, uri: str) -> list[str]:
        """The Parquet files under `uri` (recursively), [] when it does not exist."""
        path = self._path(uri)
        if not self.fs.exists(path):
            return []
        found, listing = [], self.fs.listFiles(path, True)
        while listing.hasNext():
            name = listing.next().getPath().toString()
            if name.rsplit("/", 1)[-1].startswith("part-") and name.endswith(".parquet"):
                found.append(name)
        return found

    def table(self, table: str) -> DataFrame | None:
        """A lake table (partition columns included), None while it has no file."""
        uri = hadoop_uri(self.lake.table_uri(table))
        if not self.files(uri):
            return None
        return self.spark.read.option("basePath", uri).parquet(uri)

    def commit(self, order: list[str]) -> None:
        """Move each staged folder of `order` into its table (same partition paths), then drop the old files."""
        for folder in order:
            table = folder.split(".")[0]  # "event_store.rewrite": rewritten partitions of event_store
            target_root = hadoop_uri(self.lake.table_uri(table))
            for name in self.files(f"{self.root}/{folder}"):
                relative = name.split(f"/_staging/{self.run}/{folder}/", 1)[1]
                target = self._path(f"{target_root}/{relative}")
                self.fs.mkdirs(target.getParent())
                if not self.fs.rename(self._path(name), target):
                    raise OSError(f"could not move {name} into the lake")
            if folder.startswith("event_store"):  # a rewritten partition's old files go with it
                for old in self.replaced:
                    self.fs.delete(self._path(old), False)
                self.replaced = []
        self.discard()

    def discard(self) -> None:
        self.fs.delete(self._path(self.root), True)
