"""Profiles to and from files: folded text as flamegraph.pl reads it, pprof read
back by Profile.from_pprof and by `go tool pprof`, and a Go CPU profile written
by `go tool pprof -proto`."""
import os
import shutil
import subprocess

import pytest

import ember

FOLDED = """\
python3;main;handler;parse 30
python3;main;handler;biggest_five;list_remove 50
python3;main;handler;biggest_five;copy_user_generic_[k] 15
python3;main;idle 5

python3;main;handler;inlined_helper_[i] 7
"""


def test_from_folded_counts_as_flamegraph_pl():
    profile = ember.Profile.from_folded(FOLDED)
    assert profile.total == 107
    top = {row.name: row for row in profile.top(0)}
    assert top["list_remove"].self_samples == 50
    assert top["biggest_five"].total_samples == 65 and top["biggest_five"].self_samples == 0
    assert top["handler"].total == pytest.approx(102 / 107)
    assert top["copy_user_generic"].kind == "kernel"
    inlined = [f for stack, _ in profile.stacks() for f in stack if f.name == "inlined_helper"]
    assert inlined and inlined[0].inlined
    # Written back, the same lines (sorted, as ember writes them).
    lines = sorted(line for line in FOLDED.splitlines() if line)
    assert profile.to_folded().splitlines() == lines


def test_from_folded_reads_a_path(tmp_path):
    path = tmp_path / "in.folded"
    path.write_text(FOLDED)
    assert ember.Profile.from_folded(path).total == 107
    assert ember.Profile.from_folded(str(path)).total == 107


def test_pprof_round_trip(tmp_path):
    profile = ember.Profile.from_folded(FOLDED)
    out = tmp_path / "p.pb.gz"
    profile.to_pprof(out)
    back = ember.Profile.from_pprof(out)
    assert back.total == profile.total
    key = lambda rows: [(r.name, r.self_samples, r.total_samples) for r in rows]
    assert key(back.top(0)) == key(profile.top(0))


def go_tool():
    go = shutil.which("go") or "/usr/lib/go/bin/go"
    if not os.path.exists(go):
        pytest.fail("go (golang-go, scripts/install-deps.sh) is not installed")
    return go


def test_go_tool_pprof_reads_ours(tmp_path):
    profile = ember.Profile.from_folded(FOLDED)
    out = tmp_path / "p.pb.gz"
    profile.to_pprof(out)
    done = subprocess.run([go_tool(), "tool", "pprof", "-top", "-sample_index=samples",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    flat = {}
    for line in done.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1].endswith("%"):  # "name (inline)" for inlined
            flat[fields[5]] = int(fields[0])
    for row in profile.top(0):
        if row.self_samples:
            assert flat[row.name] == row.self_samples, done.stdout


GO_PROGRAM = """\
package main

import (
	"os"
	"runtime/pprof"
	"syscall"
)

//go:noinline
func spinHot(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i % 7
	}
	return s
}

func main() {
	f, _ := os.Create(os.Args[1])
	pprof.StartCPUProfile(f)
	// 1.5 s of CPU, not of wall time: a busy machine makes it longer, not
	// the profile smaller.
	var usage syscall.Rusage
	s := 0
	for usage.Utime.Sec*1000000+usage.Utime.Usec < 1500000 {
		s += spinHot(1000000)
		syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	}
	pprof.StopCPUProfile()
	f.Close()
	if s == 42 {
		println(s)
	}
}
"""


def test_from_pprof_of_a_go_cpu_profile(tmp_path):
    go = go_tool()
    (tmp_path / "main.go").write_text(GO_PROGRAM)
    env = dict(os.environ, GOCACHE=str(tmp_path / "cache"),
               GO111MODULE="off", HOME=str(tmp_path))
    raw = tmp_path / "cpu.prof"
    subprocess.run([go, "run", "main.go", str(raw)], cwd=tmp_path, env=env, check=True,
                   timeout=180, capture_output=True)
    proto = tmp_path / "cpu.pb"
    with open(proto, "wb") as out:
        subprocess.run([go, "tool", "pprof", "-proto", str(raw)], stdout=out, env=env,
                       check=True, timeout=120, stderr=subprocess.PIPE)
    profile = ember.Profile.from_pprof(proto)
    assert profile.total > 50
    top = profile.top(5)
    # spinHot is what the program runs, between getrusage calls: the top row
    # by self, under nearly every sample. Its exact self share rests on ~150
    # samples of Go's 100 Hz profiler (sd ~3 points) and on how much of the
    # machine's time the syscalls take, so the bound leaves room for both.
    assert top[0].name == "main.spinHot" and top[0].kind == "go"
    assert top[0].self > 0.5 and top[0].total > 0.9, top[0]
    assert profile.frequency_hz == 100
    assert any(f.name == "main.main" for stack, _ in profile.stacks() for f in stack)
