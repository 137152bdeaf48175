"""Bad input raises a Python exception that says what is wrong, never crashes."""
import gzip
import os
import random

import pytest

import ember

RANDOM = random.Random(1)


def test_missing_store(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ember store"):
        ember.open_store(tmp_path / "nothing.db")


def test_corrupt_store(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"SQLite format 3\x00" + RANDOM.randbytes(4000))
    with pytest.raises(ember.StoreError, match=str(path)):
        ember.open_store(path)
    text = tmp_path / "text.db"
    text.write_text("not a database at all\n" * 100)
    with pytest.raises(ember.StoreError):
        ember.open_store(text)


def test_unknown_filter_values(synthetic_store):
    store = ember.open_store(synthetic_store)
    with pytest.raises(ValueError, match="no service 'nosuchservice'.*services: "):
        store.profile(service="nosuchservice")
    with pytest.raises(ValueError, match="no samples match --pid 4242"):
        store.profile(pid=4242)
    with pytest.raises(ValueError, match="no frames of kind 'cobol'.*kinds: "):
        store.profile(kind="cobol")
    with pytest.raises(ValueError, match="no samples match --kind java"):
        store.profile(kind="java")
    with pytest.raises(ValueError, match="no samples"):
        store.profile("2001-01-01T00:00Z", "2001-01-02T00:00Z")
    with pytest.raises(ValueError, match="--from"):
        store.profile("yesterday-ish")
    with pytest.raises(ValueError, match="ends before it starts"):
        store.profile("2030-01-02", "2030-01-01")
    profile = store.profile()
    with pytest.raises(ValueError, match="no samples match --process nothere.*processes: "):
        profile.filter(process="nothere")
    with pytest.raises(ValueError, match="no sample has a frame named"):
        profile.focus("no_such_function")


def test_wrong_argument_types(synthetic_store):
    store = ember.open_store(synthetic_store)
    with pytest.raises(TypeError, match="pid"):
        store.profile(pid="1234")
    with pytest.raises(TypeError, match="pid"):
        store.profile(pid=True)
    with pytest.raises(TypeError, match="service"):
        store.profile(service=[1, 2])
    with pytest.raises(TypeError, match="start"):
        store.profile(start=[2026])
    with pytest.raises(TypeError):
        ember.open_store(42)
    profile = ember.Profile.from_folded("a;b 1\n")
    with pytest.raises(TypeError, match="other"):
        profile.diff("after")
    with pytest.raises(TypeError, match="n"):
        profile.top(n="5")
    with pytest.raises(ValueError, match="by"):
        profile.top(by="name")
    with pytest.raises(ValueError, match="per"):
        profile.to_dataframe(per="stack")
    with pytest.raises(TypeError):
        ember.Profile("not data")


def test_corrupt_pprof(tmp_path):
    cases = {
        "garbage.pb": RANDOM.randbytes(3000),
        "damaged.pb.gz": gzip.compress(b"x" * 1000)[:-30] + RANDOM.randbytes(10),
        "empty.pb": b"",
        "gzipped_garbage.pb.gz": gzip.compress(RANDOM.randbytes(2000)),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError, match="pprof"):
            ember.Profile.from_pprof(path)
    with pytest.raises(FileNotFoundError):
        ember.Profile.from_pprof(tmp_path / "none.pb.gz")


def test_bad_folded():
    with pytest.raises(ValueError, match="folded line 2"):
        ember.Profile.from_folded("a;b 1\na;b;c many\n")
    with pytest.raises(TypeError):
        ember.Profile.from_folded(b"a;b 1\n")
