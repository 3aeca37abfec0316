// Graphs derived from a graph: one node made the root ("collapse nodes
// above"), only the stacks through a function ("focus"), and the callers
// and callees of a function (the sandwich).

import { allocGraph, linkParents } from './graph.js';

/**
 * @typedef {Object} TreeNode
 * @property {number} name
 * @property {number} lt
 * @property {number} ls
 * @property {number} rt
 * @property {number} rs
 * @property {Map<number, TreeNode>} kids
 */

/**
 * @param {number} name
 * @returns {TreeNode}
 */
function treeNode(name) {
  return { name, lt: 0, ls: 0, rt: 0, rs: 0, kids: new Map() };
}

/**
 * The child of `t` named `name`, created when missing.
 * @param {TreeNode} t
 * @param {number} name
 * @returns {TreeNode}
 */
function kid(t, name) {
  let k = t.kids.get(name);
  if (!k) {
    k = treeNode(name);
    t.kids.set(name, k);
  }
  return k;
}

/**
 * Adds the subtree of node `i` of `g` into `t`, merging by name.
 * @param {import('./graph.js').Graph} g
 * @param {number} i
 * @param {TreeNode} t
 */
function graft(g, i, t) {
  /** @type {Array<[number, TreeNode]>} */
  const stack = [[i, t]];
  while (stack.length) {
    const [j, u] = /** @type {[number, TreeNode]} */ (stack.pop());
    u.lt += g.lt[j];
    u.ls += g.ls[j];
    u.rt += g.rt[j];
    u.rs += g.rs[j];
    for (let c = g.childStart[j]; c < g.childEnd[j]; c++) stack.push([c, kid(u, g.name[c])]);
  }
}

/**
 * Lays a tree out as a graph, children ordered by name as Kiln's levels are.
 * @param {import('./graph.js').Graph} g the graph the names come from
 * @param {TreeNode} root
 * @returns {import('./graph.js').Graph}
 */
function treeToGraph(g, root) {
  /** @type {TreeNode[]} */
  const order = [];
  /** @type {number[]} */
  const parents = [];
  const levelStart = [0];
  let frontier = [root];
  let frontierParents = [-1];
  while (frontier.length) {
    /** @type {TreeNode[]} */
    const next = [];
    const nextParents = [];
    frontier.forEach((t, k) => {
      const i = order.length;
      order.push(t);
      parents.push(frontierParents[k]);
      const kids = [...t.kids.values()];
      kids.sort((a, b) => (g.names[a.name] < g.names[b.name] ? -1 : g.names[a.name] > g.names[b.name] ? 1 : 0));
      for (const c of kids) {
        next.push(c);
        nextParents.push(i);
      }
    });
    levelStart.push(order.length);
    frontier = next;
    frontierParents = nextParents;
  }
  const out = allocGraph(g.names, g.diff, order.length, levelStart.length - 1);
  out.levelStart.set(levelStart);
  out.leftTicks = g.leftTicks;
  out.rightTicks = g.rightTicks;
  fillNodes(out, order, parents, levelStart);
  linkParents(out);
  return out;
}

/**
 * Copies the values of nodes in level order and places each node after
 * its parent's self and its earlier siblings.
 * @param {import('./graph.js').Graph} out
 * @param {TreeNode[]} order
 * @param {number[]} parents
 * @param {number[]} levelStart
 */
function fillNodes(out, order, parents, levelStart) {
  const cursor = new Float64Array(order.length);
  let d = 0;
  order.forEach((t, i) => {
    while (i >= levelStart[d + 1]) d++;
    out.level[i] = d;
    out.name[i] = t.name;
    out.lt[i] = t.lt;
    out.ls[i] = t.ls;
    out.rt[i] = t.rt;
    out.rs[i] = t.rs;
    out.total[i] = t.lt + t.rt;
    out.self[i] = t.ls + t.rs;
    const p = parents[i];
    if (p >= 0) {
      out.x[i] = cursor[p];
      cursor[p] += out.total[i];
    }
    cursor[i] = out.x[i] + out.self[i];
  });
}

/**
 * Marks the nodes below an occurrence of `nameIdx` (not the occurrence).
 * @param {import('./graph.js').Graph} g
 * @param {number} nameIdx
 * @returns {Uint8Array}
 */
function insideOf(g, nameIdx) {
  const inside = new Uint8Array(g.n);
  for (let i = 1; i < g.n; i++) {
    const p = g.parent[i];
    inside[i] = p >= 0 && (inside[p] || g.name[p] === nameIdx) ? 1 : 0;
  }
  return inside;
}

/**
 * The outermost occurrences of a function (recursion counted once).
 * @param {import('./graph.js').Graph} g
 * @param {number} nameIdx
 * @returns {number[]}
 */
function outermost(g, nameIdx) {
  const inside = insideOf(g, nameIdx);
  const out = [];
  for (let i = 1; i < g.n; i++) if (g.name[i] === nameIdx && !inside[i]) out.push(i);
  return out;
}

/**
 * The subtree of node `i` as a graph of its own ("collapse nodes above").
 * @param {import('./graph.js').Graph} g
 * @param {number} i
 * @returns {import('./graph.js').Graph}
 */
export function collapseAbove(g, i) {
  const root = treeNode(g.name[i]);
  graft(g, i, root);
  return treeToGraph(g, root);
}

/**
 * Only the stacks that pass through a function, callers kept.
 * @param {import('./graph.js').Graph} g
 * @param {number} nameIdx
 * @returns {import('./graph.js').Graph}
 */
export function focusOn(g, nameIdx) {
  const root = treeNode(g.name[0]);
  for (const i of outermost(g, nameIdx)) {
    let t = root;
    const path = [];
    for (let j = g.parent[i]; j > 0; j = g.parent[j]) path.push(j);
    root.lt += g.lt[i];
    root.rt += g.rt[i];
    for (const j of path.reverse()) {
      t = kid(t, g.name[j]);
      t.lt += g.lt[i];
      t.rt += g.rt[i];
    }
    graft(g, i, kid(t, nameIdx));
  }
  return treeToGraph(g, root);
}

/**
 * Everything a function calls, merged under one root.
 * @param {import('./graph.js').Graph} g
 * @param {number} nameIdx
 * @returns {import('./graph.js').Graph}
 */
export function calleesOf(g, nameIdx) {
  const root = treeNode(nameIdx);
  for (const i of outermost(g, nameIdx)) graft(g, i, root);
  return treeToGraph(g, root);
}

/**
 * Everything that calls a function, inverted: the function is the root,
 * its direct callers are its children, and so on up to the stack roots.
 * @param {import('./graph.js').Graph} g
 * @param {number} nameIdx
 * @returns {import('./graph.js').Graph}
 */
export function callersOf(g, nameIdx) {
  const root = treeNode(nameIdx);
  for (const i of outermost(g, nameIdx)) {
    let t = root;
    const add = (/** @type {TreeNode} */ u) => {
      u.lt += g.lt[i];
      u.rt += g.rt[i];
    };
    add(t);
    for (let j = g.parent[i]; j > 0; j = g.parent[j]) {
      t = kid(t, g.name[j]);
      add(t);
    }
    t.ls += g.lt[i];
    t.rs += g.rt[i];
  }
  return treeToGraph(g, root);
}
