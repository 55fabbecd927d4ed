"""A local AWS for tests: moto in server mode on 127.0.0.1, on a free port, in a thread.

    from aws_server import moto_server  # tests/ is on sys.path under pytest

    @pytest.fixture(scope="session")
    def aws_endpoint():
        with moto_server() as url:
            yield url

Clients then take ``endpoint_url=url`` (or a test sets ``AWS_ENDPOINT_URL``, which boto3 honours).
While the server runs, dummy credentials and a region are set in the environment, so that no
client can reach real AWS with real credentials; the previous values come back on exit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def dummy_aws_credentials() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in DUMMY_ENV}
    os.environ.update(DUMMY_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def moto_server() -> Iterator[str]:
    """Yield the endpoint URL of a moto server that lives as long as the block."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with dummy_aws_credentials():
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@contextmanager
def moto_endpoint() -> Iterator[str]:
    """A moto server whose address this process's boto3 clients use (AWS_ENDPOINT_URL) until the block ends."""
    with moto_server() as url:
        os.environ["AWS_ENDPOINT_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("AWS_ENDPOINT_URL", None)
