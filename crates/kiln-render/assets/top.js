// The top table: per function, its self value and its total value (a
// recursive function's nested calls counted once), for each side of a diff.

/**
 * @typedef {Object} TopRow
 * @property {number} name  index into the names table
 * @property {number} self
 * @property {number} total
 * @property {number} ls    baseline (or only) self
 * @property {number} lt    baseline (or only) total
 * @property {number} rs    comparison self
 * @property {number} rt    comparison total
 */

/**
 * Sums the graph's nodes by function name.
 * @param {import('./graph.js').Graph} g
 * @returns {TopRow[]}
 */
export function topRows(g) {
  const k = g.names.length;
  const sums = { ls: new Float64Array(k), lt: new Float64Array(k), rs: new Float64Array(k), rt: new Float64Array(k) };
  const seen = new Uint8Array(k);
  const onStack = new Int32Array(k);
  // Depth-first walk with exit markers (~i) so each node knows whether its
  // function is already on the stack above it.
  /** @type {number[]} */
  const stack = [];
  for (let c = g.n ? g.childStart[0] : 0; c < (g.n ? g.childEnd[0] : 0); c++) stack.push(c);
  while (stack.length) {
    const i = /** @type {number} */ (stack.pop());
    if (i < 0) {
      onStack[g.name[~i]]--;
      continue;
    }
    const f = g.name[i];
    seen[f] = 1;
    sums.ls[f] += g.ls[i];
    sums.rs[f] += g.rs[i];
    if (onStack[f] === 0) {
      sums.lt[f] += g.lt[i];
      sums.rt[f] += g.rt[i];
    }
    onStack[f]++;
    stack.push(~i);
    for (let c = g.childStart[i]; c < g.childEnd[i]; c++) stack.push(c);
  }
  /** @type {TopRow[]} */
  const rows = [];
  for (let f = 0; f < k; f++) {
    if (!seen[f]) continue;
    const r = { name: f, ls: sums.ls[f], lt: sums.lt[f], rs: sums.rs[f], rt: sums.rt[f], self: 0, total: 0 };
    r.self = r.ls + r.rs;
    r.total = r.lt + r.rt;
    rows.push(r);
  }
  return rows;
}
