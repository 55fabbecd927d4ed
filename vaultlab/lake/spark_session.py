"""The Spark session vaultlab uses: UTC times, Parquet timestamps as instants, Arrow both ways.

A missing pyspark or Java is one clear line (a VaultlabError), never a stack trace. Under
`spark-submit` the master and resources come from spark-submit; `master` is then None.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from contextlib import contextmanager

from vaultlab.errors import VaultlabError

DRIVER_MEMORY = "3g"  # local mode: the driver is the executor (Spark's 1g default is too tight)
SETTINGS = {
    "spark.sql.session.timeZone": "UTC",  # event_date is the UTC date of ts, as on DuckDB
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # instants, not INT96
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.ui.showConsoleProgress": "false",
}


def spark_available() -> str | None:
    """None when pyspark and Java are both here, else what is missing (a test's skip reason)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed; install it with: pip install 'vaultlab[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))) and not shutil.which("java"):
        return "Spark needs Java 17; install openjdk-17-jre-headless or set JAVA_HOME"
    return None


def driver_memory() -> str:
    """The local-mode driver's heap: $VAULTLAB_SPARK_MEMORY, else DRIVER_MEMORY."""
    return os.environ.get("VAULTLAB_SPARK_MEMORY", DRIVER_MEMORY)


def jvm_stopped(err: BaseException) -> str | None:
    """What to do when Spark's JVM died under a run (out of memory, killed), else None.

    PySpark then raises whatever its next call to the JVM meets: a refused connection, a
    Py4J network error, or a Java error naming OutOfMemoryError."""
    text = f"{type(err).__name__}: {err}"
    advice = (f"give Spark more memory (VAULTLAB_SPARK_MEMORY, now {driver_memory()}, in local mode; "
              "spark.driver.memory and spark.executor.memory on a cluster) and run again")
    if "OutOfMemoryError" in text:
        found = f"Spark ran out of memory (java.lang.OutOfMemoryError); {advice}"
    elif isinstance(err, ConnectionError) or type(err).__name__ == "Py4JNetworkError" \
            or "SparkContext was shut down" in text or "Cannot call methods on a stopped SparkContext" in text:
        found = f"Spark's JVM stopped during the run (out of memory or killed); {advice}"
    else:
        return None
    return found


def _not_a_py4j_send_failure(record: logging.LogRecord) -> bool:
    """Py4J logs each failed call to the JVM, with a traceback, on the root logger; the call also
    raises, and a dead JVM is then said in one line (`jvm_stopped`)."""
    return record.getMessage() != "Exception while sending command."


def _quiet_accumulator_server(spark) -> None:
    """PySpark's accumulator server prints a traceback from its thread when the JVM's connection
    ends mid-update (the JVM died); `jvm_stopped` says that in one line instead."""
    server = getattr(spark.sparkContext, "_accumulatorServer", None)
    if server is None:
        return
    default = server.handle_error

    def handle_error(request, client_address):
        if not isinstance(sys.exc_info()[1], (EOFError, ConnectionError)):
            default(request, client_address)

    server.handle_error = handle_error


def get_session(master: str | None = "local[*]", *, app: str = "vaultlab", settings: dict | None = None):
    """The active session, or a new one with SETTINGS (plus `settings`)."""
    missing = spark_available()
    if missing:
        raise VaultlabError(missing)
    from pyspark.sql import SparkSession

    # the Python workers run this interpreter (local mode); a cluster sets PYSPARK_PYTHON itself
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
        if master.startswith("local"):  # the driver is the executor: Spark's 1g default is too tight
            builder = builder.config("spark.driver.memory", driver_memory())
    for key, value in {**SETTINGS, **(settings or {})}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as err:  # the JVM failed to start: say so in one line
        first = (str(err).splitlines() or [""])[0]
        raise VaultlabError(f"Spark did not start ({first[:200]}); check Java 17 and JAVA_HOME") from None
    _quiet_accumulator_server(session)
    if _not_a_py4j_send_failure not in logging.getLogger().filters:
        logging.getLogger().addFilter(_not_a_py4j_send_failure)
    return session


# What a task's boto3 needs to reach the driver's S3 (an s3:// log it downloads): where, always;
# who, in local mode only, whose workers are this machine's processes of this user. On a cluster
# the executors use their own credentials (an instance profile, IRSA), never the driver's keys.
AWS_WHERE = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION")
AWS_WHO = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
           "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")


def is_local(spark) -> bool:
    return spark.sparkContext.master.startswith("local")


@contextmanager
def aws_environment(spark):
    """The driver's AWS settings (AWS_WHERE; AWS_WHO in local mode) in the environment of the Python
    workers that run the functions defined inside the block.

    The workers' environment is the JVM's, fixed when the session started (a test's S3 server, an
    endpoint set later, a cluster's executors never had it); Spark hands each Python function the
    SparkContext's `environment` as it is when the function is defined, so it is set around that."""
    context = spark.sparkContext
    names = AWS_WHERE + (AWS_WHO if is_local(spark) else ())
    saved = dict(context.environment)
    context.environment.update({name: os.environ[name] for name in names if os.environ.get(name)})
    try:
        yield
    finally:
        context.environment.clear()
        context.environment.update(saved)


def hadoop_uri(uri: str) -> str:
    """s3:// as Spark's S3A connector names it (hadoop-aws on the classpath: see the README)."""
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri
