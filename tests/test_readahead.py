"""ReadAhead: a reader thread a few batches ahead keeps every item, in order, hands its errors to
the consumer, and stops (its generator closed) whenever the consumer leaves."""

import threading

import pytest

from vaultlab.ingest.readahead import ReadAhead


def test_every_item_arrives_in_order():
    with ReadAhead(iter(range(10_000)), 3) as ahead:
        assert list(ahead) == list(range(10_000))


def test_an_error_while_reading_is_raised_where_its_item_was_asked_for():
    def items():
        yield from range(5)
        raise OSError(5, "Input/output error")

    seen = []
    with pytest.raises(OSError, match="Input/output error"):
        with ReadAhead(items(), 2) as ahead:
            for item in ahead:
                seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def _endless(closed: threading.Event):
    try:
        n = 0
        while True:
            yield n
            n += 1
    finally:
        closed.set()


def test_leaving_early_stops_the_thread_and_closes_the_reader():
    closed = threading.Event()
    with ReadAhead(_endless(closed), 3) as ahead:
        for item in ahead:
            if item == 2:
                break
    assert closed.is_set()
    assert not any(t.name == "vaultlab-read-ahead" for t in threading.enumerate())


def test_an_error_of_the_consumer_stops_the_thread_too():
    closed = threading.Event()
    with pytest.raises(KeyboardInterrupt):
        with ReadAhead(_endless(closed), 1) as ahead:
            for item in ahead:
                if item == 10:
                    raise KeyboardInterrupt
    assert closed.is_set()
    assert not any(t.name == "vaultlab-read-ahead" for t in threading.enumerate())


def test_a_second_ctrl_c_while_stopping_still_stops_the_thread_first(monkeypatch):
    import queue as queue_module

    closed = threading.Event()
    real_get = queue_module.Queue.get
    calls = {"n": 0}

    def get_interrupted_once_while_draining(self, *args, **kwargs):
        if kwargs.get("timeout") is not None and calls["n"] == 0:  # the drain in __exit__ polls with a timeout
            calls["n"] += 1
            raise KeyboardInterrupt
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(queue_module.Queue, "get", get_interrupted_once_while_draining)
    with pytest.raises(KeyboardInterrupt):
        with ReadAhead(_endless(closed), 1) as ahead:
            for item in ahead:
                if item == 3:
                    break
    assert calls["n"] == 1
    assert closed.is_set()
    assert not any(t.name == "vaultlab-read-ahead" for t in threading.enumerate())
