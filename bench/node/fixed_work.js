// A fixed amount of JavaScript work for bench/node: the integration test's
// two hot functions (fibRecurse, hashLoop) and FUNCTIONS small generated
// functions, each its own SharedFunctionInfo in a script named
// generated.js, as a service has many, called in turn. Usage:
//   node fixed_work.js CYCLES [FUNCTIONS]
// Prints "ready", waits for a line on stdin (a profiler starts first), does
// CYCLES cycles (0: until killed) and prints `cpu=<s> wall=<s>`: the
// process' CPU time (every thread) and the wall time of the work.
'use strict';
const vm = require('vm');

const cycles = Number(process.argv[2] || 100);
const count = Number(process.argv[3] || 1000);

function fibRecurse(n) {
  return n < 2 ? n : fibRecurse(n - 1) + fibRecurse(n - 2);
}

function hashLoop(rounds) {
  let h = 7;
  for (let i = 0; i < rounds; i++) h = (Math.imul(h, 31) + i) | 0;
  return h;
}

let source = '';
for (let k = 0; k < count; k++) {
  source += `function gen_${k}(n) {\n  let s = ${k};\n` +
            `  for (let i = 0; i < n; i++) s = (Math.imul(s, 31) + i) | 0;\n  return s;\n}\n`;
}
source += `[${Array.from({ length: count }, (_, k) => `gen_${k}`).join(', ')}]`;
const generated = vm.runInThisContext(source, { filename: 'generated.js' });

function cycle() {
  let sink = fibRecurse(22) + hashLoop(200000);
  for (const f of generated) sink += f(2000);
  return sink;
}

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

console.log('ready');
process.stdin.once('data', () => {
  const cpu0 = cpuSeconds();
  const wall0 = process.hrtime.bigint();
  let sink = 0;
  for (let c = 0; cycles === 0 || c < cycles; c++) sink += cycle();
  const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
  console.log(`cpu=${(cpuSeconds() - cpu0).toFixed(6)} wall=${wall.toFixed(6)} sink=${sink & 1}`);
  process.exit(0);
});
