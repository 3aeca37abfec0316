// Writes a deterministic folded profile whose call tree has about N nodes
// (default 100000): node.js gen-folded.mjs [N] > big.folded
// Each new node mostly hangs under one of the last 64 nodes made, so stacks
// are deep like real programs (at most 48 frames), and every node gets a
// self value of 1..1000.

const n = Number(process.argv[2] || 100000);
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const pkgs = ['main.', 'runtime.', 'net/http.', 'encoding/json.', 'github.com/acme/shop/cart.', 'std::io::', 'java/util/HashMap.', 'app.py:'];
const paths = [''];
const kids = [new Set()];
const depth = [0];
const out = [];
for (let i = 1; i < n; i++) {
  const back = Math.min(paths.length, 64);
  let parent = paths.length - 1 - Math.floor(rand() * back);
  if (depth[parent] >= 48 || rand() < 0.2) parent = Math.floor(rand() * paths.length);
  let name;
  do {
    name = `${pkgs[Math.floor(rand() * pkgs.length)]}fn${Math.floor(rand() * 1000)}`;
  } while (kids[parent].has(name));
  kids[parent].add(name);
  const path = paths[parent] ? `${paths[parent]};${name}` : name;
  paths.push(path);
  kids.push(new Set());
  depth.push(depth[parent] + 1);
  out.push(`${path} ${1 + Math.floor(rand() * 1000)}`);
  if (out.length >= 4096) {
    process.stdout.write(`${out.join('\n')}\n`);
    out.length = 0;
  }
}
process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
