// Two hot functions of known share for the Node.js plugin's test, run with
// no flags. fibRecurse takes ~85% of the work, hashLoop ~12%; the truth is
// process.cpuUsage() around each call. Prints "ready", waits for SIGUSR2
// (the profiler is sampling by then), works for the CPU seconds given as
// argv[2], prints the truth and exits. Both are called through a dispatch
// table whose call site has seen five functions: TurboFan inlines none at
// such a (megamorphic) site, and the plugin does not yet name functions
// inlined into their callers.
'use strict';

function fibRecurse(n) {  // line-fibRecurse
  return n < 2 ? n : fibRecurse(n - 1) + fibRecurse(n - 2);
}

function hashLoop(rounds) {  // line-hashLoop
  let h = 7;
  for (let i = 0; i < rounds; i++) h = (Math.imul(h, 31) + i) | 0;
  return h;
}

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const tasks = [fibRecurse, hashLoop, Math.abs, Math.sign, Number];
function runTask(k, arg) {
  return tasks[k](arg);
}

function drive(seconds) {  // line-drive
  let fib = 0;
  let hash = 0;
  let rounds = 150000;  // of hashLoop, tuned so it takes 12/85 of fibRecurse's time
  let sink = 0;
  for (let k = 0; k < tasks.length; k++) sink += runTask(k, 1);
  const start = cpuMicros();
  // CPU seconds, not wall time: a busy machine slows the run, not the count.
  const budget = seconds * 1e6;
  while (cpuMicros() - start < budget) {
    // fibRecurse's argument varies so that a round's length does too: a
    // round as long as a whole number of sampling periods (~2 ms at 999 Hz)
    // would be sampled at the same points of it round after round.
    const n = 23 + Math.floor(Math.random() * 5);
    const t0 = cpuMicros();
    sink += runTask(0, n);
    const t1 = cpuMicros();
    sink += runTask(1, rounds);
    const t2 = cpuMicros();
    fib += t1 - t0;
    hash += t2 - t1;
    if (hash > 0 && fib > 0) {
      const want = (fib * 12) / 85;
      rounds = Math.max(1000, Math.min(5e7, Math.round(rounds * (want / hash) ** 0.1)));
    }
  }
  const total = cpuMicros() - start;
  console.log(`fib_us=${fib} hash_us=${hash} total_us=${total} sink=${sink & 1}`);
}

process.on('SIGUSR2', () => {
  drive(Number(process.argv[2] || 5));
  process.exit(0);
});
setInterval(() => {}, 1 << 30);  // keeps the loop alive until the signal
console.log('ready');
