// Search: which nodes match a query (a case-insensitive substring, or a
// regular expression written /like this/i), and the share of the total
// they cover (nested matches counted once).

/**
 * @typedef {Object} SearchResult
 * @property {Uint8Array} mask   1 for matching nodes
 * @property {number} nodes      how many nodes match
 * @property {number} functions  how many distinct names match
 * @property {number} value      total value covered by the matches
 * @property {number} share      value / root total, 0..1
 */

/**
 * @param {string} query
 * @returns {(name: string) => boolean}
 */
function matcher(query) {
  const re = /^\/(.+)\/([a-z]*)$/.exec(query);
  if (re) {
    try {
      const r = new RegExp(re[1], re[2]);
      return (name) => r.test(name);
    } catch (_) {
      // Not a valid regular expression: search for the text itself.
    }
  }
  const q = query.toLowerCase();
  return (name) => name.toLowerCase().includes(q);
}

/**
 * Nodes whose name matches `query`.
 * @param {import('./graph.js').Graph} g
 * @param {string} query
 * @returns {SearchResult}
 */
export function searchGraph(g, query) {
  const test = matcher(query);
  return markNames(g, g.names.map((n, i) => i > 0 && test(n)));
}

/**
 * Nodes named exactly `nameIdx` (a table row picked).
 * @param {import('./graph.js').Graph} g
 * @param {number} nameIdx
 * @returns {SearchResult}
 */
export function markFunction(g, nameIdx) {
  return markNames(g, g.names.map((_, i) => i === nameIdx));
}

/**
 * @param {import('./graph.js').Graph} g
 * @param {boolean[]} byName
 * @returns {SearchResult}
 */
function markNames(g, byName) {
  const mask = new Uint8Array(g.n);
  const covered = new Uint8Array(g.n);
  const names = new Set();
  let nodes = 0;
  let value = 0;
  for (let i = 1; i < g.n; i++) {
    const p = g.parent[i];
    const above = p > 0 && (mask[p] || covered[p]) ? 1 : 0;
    covered[i] = above;
    if (!byName[g.name[i]]) continue;
    mask[i] = 1;
    nodes++;
    names.add(g.name[i]);
    if (!above) value += g.total[i];
  }
  const total = g.n ? g.total[0] : 0;
  return { mask, nodes, functions: names.size, value, share: total ? value / total : 0 };
}
