// The flame graph as flat typed arrays, decoded from flamebearer levels:
// nodes numbered level by level, left to right, each with its x offset,
// width, self value, name, parent and range of children.
//
// Single graphs have 4-tuple levels [x_delta, total, self, name]; diff
// graphs have 7-tuple levels [left_x_delta, left_total, left_self,
// right_x_delta, right_total, right_self, name] and are laid out on the
// sum of both sides, as Pyroscope draws them.

/**
 * @typedef {Object} Graph
 * @property {string[]} names
 * @property {boolean} diff
 * @property {number} n              number of nodes
 * @property {number} depth          number of levels
 * @property {Int32Array} levelStart first node of each level; length depth + 1
 * @property {Int32Array} level
 * @property {Float64Array} x        offset in ticks (both sides for diffs)
 * @property {Float64Array} total    width in ticks (both sides for diffs)
 * @property {Float64Array} self
 * @property {Float64Array} lt       baseline (or only) total
 * @property {Float64Array} ls       baseline (or only) self
 * @property {Float64Array} rt       comparison total; zero for single graphs
 * @property {Float64Array} rs       comparison self; zero for single graphs
 * @property {Int32Array} name
 * @property {Int32Array} parent     -1 for the root
 * @property {Int32Array} childStart
 * @property {Int32Array} childEnd
 * @property {number} leftTicks
 * @property {number} rightTicks
 */

/**
 * Allocates a graph of `n` nodes; the caller fills it in.
 * @param {string[]} names
 * @param {boolean} diff
 * @param {number} n
 * @param {number} depth
 * @returns {Graph}
 */
export function allocGraph(names, diff, n, depth) {
  const f = () => new Float64Array(n);
  const i = () => new Int32Array(n);
  return {
    names, diff, n, depth,
    levelStart: new Int32Array(depth + 1),
    level: i(), x: f(), total: f(), self: f(), lt: f(), ls: f(), rt: f(), rs: f(),
    name: i(), parent: i().fill(-1), childStart: i(), childEnd: i(),
    leftTicks: 0, rightTicks: 0,
  };
}

/**
 * Decodes flamebearer levels into a graph.
 * @param {string[]} names
 * @param {number[][]} levels
 * @param {boolean} diff
 * @returns {Graph}
 */
export function graphFromLevels(names, levels, diff) {
  const width = diff ? 7 : 4;
  let n = 0;
  for (const l of levels) n += Math.floor(l.length / width);
  const g = allocGraph(names, diff, n, levels.length);
  let i = 0;
  levels.forEach((l, d) => {
    g.levelStart[d] = i;
    let lprev = 0;
    let rprev = 0;
    for (let k = 0; k + width <= l.length; k += width, i++) {
      const lx = lprev + l[k];
      lprev = lx + l[k + 1];
      g.lt[i] = l[k + 1];
      g.ls[i] = l[k + 2];
      let rx = 0;
      if (diff) {
        rx = rprev + l[k + 3];
        rprev = rx + l[k + 4];
        g.rt[i] = l[k + 4];
        g.rs[i] = l[k + 5];
      }
      g.x[i] = lx + rx;
      g.total[i] = g.lt[i] + g.rt[i];
      g.self[i] = g.ls[i] + g.rs[i];
      g.name[i] = l[k + width - 1];
      g.level[i] = d;
    }
  });
  g.levelStart[levels.length] = i;
  linkParents(g);
  return g;
}

/**
 * Finds each node's parent (the last node of the level above that starts
 * at or before it) and each parent's range of children.
 * @param {Graph} g
 */
export function linkParents(g) {
  for (let d = 1; d < g.depth; d++) {
    let p = g.levelStart[d - 1];
    const pend = g.levelStart[d];
    for (let i = g.levelStart[d]; i < g.levelStart[d + 1]; i++) {
      while (p + 1 < pend && (g.x[p + 1] < g.x[i] || (g.x[p + 1] === g.x[i] && g.total[p + 1] > 0))) p++;
      g.parent[i] = p;
      if (g.childEnd[p] === 0) g.childStart[p] = i;
      g.childEnd[p] = i + 1;
    }
  }
}

/**
 * The node's ancestors from the root down, the node included.
 * @param {Graph} g
 * @param {number} i
 * @returns {number[]}
 */
export function pathTo(g, i) {
  const path = [];
  for (let j = i; j >= 0; j = g.parent[j]) path.push(j);
  return path.reverse();
}

/**
 * The widest node named `nameIdx`, or -1.
 * @param {Graph} g
 * @param {number} nameIdx
 * @returns {number}
 */
export function widestNode(g, nameIdx) {
  let best = -1;
  for (let i = 0; i < g.n; i++) {
    if (g.name[i] === nameIdx && (best < 0 || g.total[i] > g.total[best])) best = i;
  }
  return best;
}
