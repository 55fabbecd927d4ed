"""A lake on S3: its objects read, written, listed and mirrored with boto3 (standard credential chain).

DuckDB's httpfs extension and Spark's s3a connector read s3:// directly where they are installed;
where they are not (an offline machine, Spark in local mode without hadoop-aws), the lake's
objects are mirrored into a local folder with boto3 and read from there.
"""

from __future__ import annotations

from pathlib import Path

from vaultlab.errors import VaultlabError
from vaultlab.ingest.s3 import client, split_uri


def _errors():
    from botocore.exceptions import BotoCoreError, ClientError

    return BotoCoreError, ClientError


def read_text(uri: str) -> str | None:
    """The object's text, or None when there is no such object."""
    bucket, key = split_uri(uri)
    try:
        body = client().get_object(Bucket=bucket, Key=key)["Body"].read()
    except _errors() as err:
        if "NoSuchKey" in str(err) or "404" in str(err) or "Not Found" in str(err):
            return None
        raise VaultlabError(f"cannot read {uri}: {err}; check the bucket name and your AWS credentials") from None
    return body.decode("utf-8")


def write_text(uri: str, text: str) -> None:
    bucket, key = split_uri(uri)
    try:
        client().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
    except _errors() as err:
        raise VaultlabError(f"cannot write {uri}: {err}; check the bucket name and your AWS credentials") from None


def list_keys(uri: str) -> list[str]:
    """Every key under the prefix (empty when there is none)."""
    bucket, prefix = split_uri(uri)
    keys: list[str] = []
    try:
        for page in client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
    except _errors() as err:
        raise VaultlabError(f"cannot list {uri}: {err}; check the bucket name and your AWS credentials") from None
    return keys


def upload_folder(folder: Path, uri: str) -> list[str]:
    """Upload every file under `folder` to the prefix `uri`; the keys written."""
    return upload_files(folder, sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
                        uri)


def upload_files(folder: Path, relative: list[str], uri: str) -> list[str]:
    """Upload the files `relative` (paths under `folder`, in this order) to the prefix `uri`; the keys written."""
    bucket, prefix = split_uri(uri)
    s3, written = client(), []
    try:
        for name in relative:
            key = f"{prefix}/{name}"
            s3.upload_file(str(folder / name), bucket, key)
            written.append(key)
    except _errors() as err:
        raise VaultlabError(f"cannot write to {uri}: {err}; check the bucket name and your AWS credentials") from None
    return written


def delete_keys(bucket: str, keys: list[str]) -> None:
    s3 = client()
    try:
        for start in range(0, len(keys), 1000):
            chunk = keys[start:start + 1000]
            if chunk:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
    except _errors() as err:
        raise VaultlabError(f"cannot delete objects in s3://{bucket}: {err}; check your AWS credentials") from None


def mirror(uri: str, folder: Path) -> Path:
    """Copy the lake's objects under `uri` into `folder` (same relative paths); the folder."""
    bucket, prefix = split_uri(uri)
    s3 = client()
    try:
        for key in list_keys(uri):
            target = folder / key[len(prefix):].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
    except _errors() as err:
        raise VaultlabError(f"cannot read {uri}: {err}; check the bucket name and your AWS credentials") from None
    return folder
