"""Audit logs in S3 (`s3://bucket/prefix`), read with boto3 and its standard credential chain.

Objects are copied to a scratch folder and loaded like local files; the ledger names them by
their s3:// address. An object already in the ledger under that address with the same size
is not downloaded again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaultlab.errors import VaultlabError


@dataclass
class S3Object:
    uri: str
    key: str
    size: int


def is_s3(location: str) -> bool:
    return location.startswith("s3://")


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise VaultlabError(f"{uri} names no bucket; write s3://BUCKET/PREFIX")
    return bucket, prefix


def client():
    import boto3  # imported here: only S3 users pay for it

    return boto3.client("s3")  # honours AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, SSO, ...


def list_objects(uri: str, s3=None) -> list[S3Object]:
    """Every object under the prefix, in key order (CloudTrail keys sort by time)."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = split_uri(uri)
    s3 = s3 or client()
    found: list[S3Object] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [S3Object(f"s3://{bucket}/{o['Key']}", o["Key"], o["Size"])
                      for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    except (BotoCoreError, ClientError) as err:
        raise VaultlabError(f"cannot list {uri}: {err}; check the bucket name and your AWS credentials") from None
    if not found:
        raise VaultlabError(f"no object under {uri}")
    return found


def download(objects: list[S3Object], folder: Path, s3=None) -> list[tuple[Path, S3Object]]:
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = s3 or client()
    copies = []
    for number, obj in enumerate(objects):
        bucket, _ = split_uri(obj.uri)
        local = folder / f"{number:06d}-{Path(obj.key).name}"
        try:
            s3.download_file(bucket, obj.key, str(local))
        except (BotoCoreError, ClientError) as err:
            raise VaultlabError(f"cannot read {obj.uri}: {err}; nothing from it was loaded") from None
        copies.append((local, obj))
    return copies
