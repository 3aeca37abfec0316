// A real `kiln server` for the UI tests: its own data directory and a free
// loopback port, fed by Go's real pprof fixtures (re-stamped to now, since
// the server refuses profiles older than an hour), by Pyroscope's Python
// SDK, and by hostile names through /ingest and the Push API.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir, homedir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { kilnBin, fixtures, repo } from './helpers.mjs';

/** A port free on 127.0.0.1 at the time of asking. */
async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(null)));
  const port = /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
  await new Promise((r) => srv.close(() => r(null)));
  return port;
}

/**
 * Starts `kiln server` on a free loopback port and waits for /ready;
 * returns its base URL and a stop function (resolved when it has exited).
 * `env` adds KILN_* settings; `dataDir` reuses a directory, `config` is
 * the text of a configuration file.
 */
export async function startServer(env = {}, { dataDir = mkdtempSync(join(tmpdir(), 'kiln-ui-data-')), config = '' } = {}) {
  const port = await freePort();
  const args = ['server', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir];
  if (config) {
    const file = join(mkdtempSync(join(tmpdir(), 'kiln-ui-config-')), 'kiln.toml');
    writeFileSync(file, config);
    args.push('--config', file);
  }
  const child = spawn(kilnBin(), args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stderr.on('data', (c) => (log += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; (await fetch(`${base}/ready`).then((r) => r.status, () => 0)) !== 200; i++) {
    if (i > 200 || child.exitCode !== null) throw new Error(`kiln server did not get ready: ${log}`);
    await sleep(100);
  }
  const exited = new Promise((r) => child.once('exit', r));
  return { base, dataDir, stop: () => (child.kill('SIGTERM'), exited) };
}

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** Reads a protobuf varint at `pos`; returns [value, next]. */
function varint(buf, pos) {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if (!(b & 0x80)) return [v, pos];
  }
}

function encodeVarint(v) {
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

/** The pprof with its top-level `time_nanos` (field 9) set to `nanos`. */
export function restamp(gz, nanos) {
  const buf = gunzipSync(gz);
  const parts = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, p] = varint(buf, pos);
    const wire = Number(key & 7n);
    pos = p;
    if (wire === 0) pos = varint(buf, pos)[1];
    else if (wire === 2) {
      const [len, q] = varint(buf, pos);
      pos = q + Number(len);
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    if (key !== (9n << 3n)) parts.push(buf.subarray(start, pos));
  }
  parts.push(Buffer.from([9 << 3]), encodeVarint(BigInt(nanos)));
  return gzipSync(Buffer.concat(parts));
}

/**
 * Posts Go's CPU fixture to /ingest as `name{labels}`, stamped `agoSeconds` ago.
 * @param {string} base
 * @param {string} name e.g. `go-app{env=prod}`
 * @param {number} agoSeconds
 */
export async function ingestGo(base, name, agoSeconds) {
  const at = Date.now() - agoSeconds * 1000;
  const body = restamp(readFileSync(join(fixtures, 'go/cpu.pb.gz')), BigInt(at) * 1000000n);
  const url = `${base}/ingest?name=${encodeURIComponent(name)}&format=pprof&spyName=gospy&sampleRate=100`;
  const r = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  if (r.status !== 200) throw new Error(`ingest ${name}: ${r.status} ${await r.text()}`);
}

/** Posts a folded profile to /ingest. */
export async function ingestFolded(base, name, folded) {
  const r = await fetch(`${base}/ingest?name=${encodeURIComponent(name)}&sampleRate=100`, { method: 'POST', body: folded });
  if (r.status !== 200) throw new Error(`ingest ${name}: ${r.status} ${await r.text()}`);
}

/** Pushes Go's CPU fixture through the Push API (Connect JSON) under `service`, with more labels. */
export async function pushGo(base, service, labels = []) {
  const raw = restamp(readFileSync(join(fixtures, 'go/cpu.pb.gz')), BigInt(Date.now() - 30000) * 1000000n);
  const body = {
    series: [{
      labels: [{ name: '__name__', value: 'process_cpu' }, { name: 'service_name', value: service }, ...labels],
      samples: [{ ID: '6f0a5a4e-4a8f-4e3e-9d1c-1f2e3d4c5b6a', rawProfile: raw.toString('base64') }],
    }],
  };
  const r = await fetch(`${base}/push.v1.PusherService/Push`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  if (r.status !== 200) throw new Error(`push ${service}: ${r.status} ${await r.text()}`);
}

/** Runs the Python SDK's app (crates/kiln-server/tests/sdk/python/app.py) against the server for `seconds`. */
export function runPythonSdk(base, seconds) {
  const python = join(homedir(), '.cache/kiln/sdk-venv/bin/python');
  if (!existsSync(python)) throw new Error(`${python} is missing: scripts/test.sh makes the SDK venv`);
  const app = join(repo, 'crates/kiln-server/tests/sdk/python/app.py');
  execFileSync(python, [app, base, String(seconds)], { stdio: 'pipe', timeout: 60000 });
}

/**
 * A server holding what the UI tests look at: `go-app` (12 Go CPU profiles
 * over the last half hour, `env` alternating prod and staging), the
 * Python SDK's `kiln-sdk-python`, a folded profile with a hostile function
 * name (`hostile-fn`), a pushed profile under a hostile service name, and
 * `many-pods`: ten pods with 1 to 3 profiles each, and one more pod with a
 * hostile name.
 */
export async function fedServer() {
  const server = await startServer();
  for (let i = 0; i < 12; i++) await ingestGo(server.base, `go-app{env=${i % 2 ? 'prod' : 'staging'},region=eu}`, 60 + i * 150);
  await ingestFolded(server.base, 'hostile-fn.cpu', `main;${HOSTILE_FUNCTION} 100\nmain;work 20\n`);
  await pushGo(server.base, HOSTILE_SERVICE);
  for (let i = 0; i < 10; i++) for (let k = 0; k <= i % 3; k++) await ingestGo(server.base, `many-pods{pod=p${i}}`, 120 + k * 60);
  await pushGo(server.base, 'many-pods', [{ name: 'pod', value: HOSTILE_VALUE }]);
  runPythonSdk(server.base, 3);
  return server;
}

export const HOSTILE_FUNCTION = '<img src=x onerror=window.pwned=1>';
export const HOSTILE_SERVICE = '<img src=x onerror=window.pwned=2>';
export const HOSTILE_VALUE = '<img src=x onerror=window.pwned=3>';
