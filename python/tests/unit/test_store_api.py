"""Store and Profile over a synthetic store: the tables equal `ember report`'s for
the same range and filters, and the store's accessors answer what it holds."""
import datetime as dt
import subprocess

import pytest

import ember
from report_text import heading_samples, label, top_rows


def report(cli, store, *args):
    done = subprocess.run([cli, "report", "--store", store, "--limit", "0", *map(str, args)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_same_top(profile, text):
    rows = top_rows(text)
    assert heading_samples(text) == profile.total
    ours = profile.top(0)
    assert len(ours) == len(rows) > 0
    for row, (self_pct, self_n, total_pct, total_n, kind, function) in zip(ours, rows):
        assert (label(row.name, row.file), row.kind, row.self_samples, row.total_samples) == \
            (function, kind, self_n, total_n)
        assert row.self * 100 == pytest.approx(self_pct, abs=0.006)
        assert row.total * 100 == pytest.approx(total_pct, abs=0.006)


def test_top_equals_ember_report_whole_store(ember_cli, synthetic_store):
    store = ember.open_store(synthetic_store)
    assert_same_top(store.profile(), report(ember_cli, synthetic_store, "--format", "top"))


def test_top_equals_ember_report_range_and_filters(ember_cli, synthetic_store):
    store = ember.open_store(synthetic_store)
    start, end = store.time_span()
    first = start + dt.timedelta(minutes=3)
    last = start + dt.timedelta(minutes=7)
    services = store.services()[:2]
    profile = store.profile(first, last, service=services)
    text = report(ember_cli, synthetic_store, "--format", "top",
                  "--from", first.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "--to", last.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  *[a for s in services for a in ("--service", s)])
    assert_same_top(profile, text)
    # The same range as epoch seconds and as report's texts.
    again = store.profile(first.timestamp(), last.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          service=services)
    assert again.top(0) == profile.top(0)
    # Filtering after the read keeps what filtering while reading keeps.
    assert store.profile(first, last).filter(service=services).top(0) == profile.top(0)


def test_store_accessors(synthetic_store):
    store = ember.open_store(synthetic_store)
    start, end = store.time_span()
    assert start.tzinfo is not None and end - start == dt.timedelta(minutes=12)
    assert len(store.services()) >= 10
    processes = store.processes()
    assert {p.service for p in processes} >= set(store.services()[:10])
    assert all(p.pid > 0 and p.comm for p in processes)
    one = processes[0]
    profile = store.profile(pid=one.pid)
    assert {p.pid for p in profile.processes()} == {one.pid}
    assert profile.total == sum(count for _, count in profile.stacks())
    assert profile.frequency_hz == 99
    assert len(store.windows()) == 12
    host, per_process = store.metrics(pid=one.pid)
    assert len(host) >= 600 and set(per_process["pid"]) == {one.pid}
    assert 0 <= host["cpu_utilization"].max() <= 1


def test_to_dataframe(synthetic_store):
    profile = ember.open_store(synthetic_store).profile()
    frames = profile.to_dataframe()
    # One row per (sample, depth); the leaves' counts are the self samples.
    assert frames["samples"][frames["leaf"]].sum() == profile.total
    self_by_name = frames[frames["leaf"]].groupby("name", observed=True)["samples"].sum()
    top = profile.top(5)
    for row in top:
        assert self_by_name[row.name] >= row.self_samples
    functions = profile.to_dataframe(per="function")
    assert list(functions["self_samples"][:5]) == [r.self_samples for r in top]


def test_diff_and_focus_and_merge(synthetic_store):
    store = ember.open_store(synthetic_store)
    start, _ = store.time_span()
    a = store.profile(start, start + dt.timedelta(minutes=6))
    b = store.profile(start + dt.timedelta(minutes=6), start + dt.timedelta(minutes=12))
    rows = a.diff(b, n=0)
    assert len(rows) > 20
    assert all(abs(x.delta) >= abs(y.delta) - 1e-12 for x, y in zip(rows, rows[1:]))
    assert len(a.diff(b)) == 25
    for row in rows[:20]:
        assert row.delta == pytest.approx(row.after - row.before)
    merged = a.merge(b)
    assert merged.total == a.total + b.total
    name = a.top(1)[0].name
    focused = a.focus(name)
    assert 0 < focused.total <= a.total
    assert all(stack[0].name == name for stack, _ in focused.stacks())
