// Profiles burnCpuInNode with the Node.js Pyroscope SDK, which posts pprof
// to /ingest as a multipart form.
// Usage: node app.js <server-url> <seconds>
'use strict';

const Pyroscope = require('@pyroscope/nodejs').default;

function burnCpuInNode(until) {
  let x = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 100000; i++) {
      x = (x * 31 + i) % 1000003;
    }
  }
  return x;
}

async function main() {
  const [url, seconds] = process.argv.slice(2);
  Pyroscope.init({
    serverAddress: url,
    appName: 'kiln-sdk-node',
    tags: { env: 'sdk-test', sdk: 'node' },
    flushIntervalMs: 1000,
    wall: { collectCpuTime: true, samplingDurationMs: 1000 },
  });
  Pyroscope.startCpuProfiling();
  const x = burnCpuInNode(Date.now() + Number(seconds) * 1000);
  await Pyroscope.stopCpuProfiling();
  console.log('done', x);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
