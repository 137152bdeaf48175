// Functions of every shape the Node.js plugin names, for its test: a class
// method, an anonymous arrow function, a call into a native addon (the
// N-API module whose path is argv[4], when given), and (mode "gc")
// allocation heavy enough that V8 scavenges, marks and compacts all along,
// code space included (--stress-compaction: every full GC compacts). Mode
// "both" runs the shapes, then the GC churn, each for the CPU seconds given
// as argv[3]. Prints "ready", waits for SIGUSR2, works, exits.
'use strict';

const addon = process.argv[4] ? require(process.argv[4]) : null;

class Mixer {  // line-Mixer
  spin(rounds) {  // line-spin
    let x = 1;
    for (let i = 0; i < rounds; i++) x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    return x;
  }
}

const passes = [(rounds) => {  // line-<anonymous>
  let s = 0;
  for (let i = 0; i < rounds; i++) s += Math.sqrt(i);
  return s;
}];

const kept = [];
function churn(n) {  // line-churn
  const out = [];
  for (let i = 0; i < n; i++) out.push({ i, s: 'x' + i, a: [i, i + 1] });
  kept.push(out);  // some survive into old space, so full GCs have work
  if (kept.length > 200) kept.splice(0, 100);
  return out.length;
}

function viaAddon(rounds) {  // line-viaAddon
  return addon ? addon.mix(rounds) : 0;
}

function cpuSeconds(since) {  // line-cpuSeconds
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

function drive(mode, seconds) {  // line-drive
  const mixer = new Mixer();
  const start = process.cpuUsage();
  let sink = 0;
  // CPU seconds, not wall time: a busy machine slows the run, not the count.
  while (cpuSeconds(start) < seconds) {
    if (mode === 'gc') {
      sink += churn(20000);
      sink += mixer.spin(20000);
    } else {
      sink += mixer.spin(200000);
      sink += passes[0](200000);
      sink += viaAddon(400000);
    }
  }
  return sink;
}

process.on('SIGUSR2', function onSignal() {  // line-onSignal
  const mode = process.argv[2];
  const seconds = Number(process.argv[3] || 3);
  let sink = drive(mode === 'both' ? 'shapes' : mode, seconds);
  if (mode === 'both') {
    require('v8').setFlagsFromString('--stress-compaction');
    sink += drive('gc', seconds);
  }
  console.log(`done sink=${sink & 1}`);
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
console.log('ready');
