// A Node.js app instrumented with the real @pyroscope/nodejs SDK, as
// `kiln adhoc --push` runs it: the SDK finds kiln's endpoint by itself in
// PYROSCOPE_ADHOC_SERVER_ADDRESS (else PYROSCOPE_SERVER_ADDRESS).
// It burns CPU in burnCpuInKilnPush; with `heap`, it also profiles the heap
// and keeps what allocateInKilnPush allocates.
// Usage: node push_node.js <seconds> [heap]
'use strict';

const Pyroscope = require('@pyroscope/nodejs').default;

const kept = [];

function burnCpuInKilnPush(until) {
  let x = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 100000; i++) {
      x = (x * 31 + i) % 1000003;
    }
  }
  return x;
}

function allocateInKilnPush() {
  for (let i = 0; i < 200; i++) {
    kept.push(new Array(1000).fill(i));
  }
}

// Yields between slices so the SDK's flush timers run.
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const [seconds, heap] = process.argv.slice(2);
  const address = process.env.PYROSCOPE_ADHOC_SERVER_ADDRESS || process.env.PYROSCOPE_SERVER_ADDRESS;
  if (!address) {
    console.error('neither PYROSCOPE_ADHOC_SERVER_ADDRESS nor PYROSCOPE_SERVER_ADDRESS is set');
    process.exit(2);
  }
  Pyroscope.init({
    appName: 'kiln-push-node',
    flushIntervalMs: 1000,
    wall: { collectCpuTime: true, samplingDurationMs: 1000 },
  });
  Pyroscope.startCpuProfiling();
  if (heap) {
    Pyroscope.startHeapProfiling();
  }
  const end = Date.now() + Number(seconds) * 1000;
  let x = 0;
  while (Date.now() < end) {
    x += burnCpuInKilnPush(Math.min(end, Date.now() + 50));
    if (heap) {
      allocateInKilnPush();
    }
    await tick();
  }
  await Pyroscope.stopCpuProfiling();
  if (heap) {
    await Pyroscope.stopHeapProfiling();
  }
  console.log('pushed to', address, x, kept.length);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
