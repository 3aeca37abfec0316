// A flame graph as shown, written as a pprof profile (profile.proto,
// gzipped by the caller): one function and one location per name, one
// sample per node with a self value, its stack leaf first. Tools that read
// pprof (`go tool pprof`, `kiln convert`) then see the same stacks and
// values as the page.

import { pathTo } from '../graph.js';

/** A protobuf writer of the few wire types profile.proto needs. */
class ProtoWriter {
  constructor() {
    /** @type {number[]} */
    this.bytes = [];
  }

  /** @param {number} n a non-negative integer up to 2^53 */
  varint(n) {
    while (n >= 128) {
      this.bytes.push((n % 128) | 128);
      n = Math.floor(n / 128);
    }
    this.bytes.push(n);
  }

  /** @param {number} field @param {number} n */
  uint(field, n) {
    if (!n) return;
    this.varint(field * 8);
    this.varint(n);
  }

  /** @param {number} field @param {ArrayLike<number>} data */
  lengthDelimited(field, data) {
    this.varint(field * 8 + 2);
    this.varint(data.length);
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]);
  }

  /** @param {number} field @param {(w: ProtoWriter) => void} fill */
  message(field, fill) {
    const w = new ProtoWriter();
    fill(w);
    this.lengthDelimited(field, w.bytes);
  }

  /** @param {number} field @param {number[]} values */
  packed(field, values) {
    const w = new ProtoWriter();
    for (const v of values) w.varint(v);
    this.lengthDelimited(field, w.bytes);
  }
}

/**
 * The sample type of a profile type id (`name:type:unit:...`) or label.
 * @param {string} profileType
 * @param {string} unit
 * @returns {[string, string]}
 */
export function sampleTypeOf(profileType, unit) {
  const parts = (profileType || '').split(':');
  if (parts.length >= 3) return [parts[1], unit || parts[2]];
  return [profileType || 'samples', unit || 'count'];
}

/**
 * The uncompressed pprof of a single (not diff) graph.
 * @param {import('../graph.js').Graph} g
 * @param {{profileType: string, unit: string}} meta
 * @returns {Uint8Array}
 */
export function toPprof(g, meta) {
  const strings = [''];
  /** @type {Map<string, number>} */
  const index = new Map([['', 0]]);
  const str = (/** @type {string} */ s) => {
    if (!index.has(s)) {
      index.set(s, strings.length);
      strings.push(s);
    }
    return /** @type {number} */ (index.get(s));
  };
  const [type, unit] = sampleTypeOf(meta.profileType, meta.unit);
  const out = new ProtoWriter();
  out.message(1, (w) => {
    w.uint(1, str(type));
    w.uint(2, str(unit));
  });
  /** @type {Map<number, number>} name index -> function and location id */
  const ids = new Map();
  const idOf = (/** @type {number} */ name) => {
    if (!ids.has(name)) ids.set(name, ids.size + 1);
    return /** @type {number} */ (ids.get(name));
  };
  for (let i = 1; i < g.n; i++) {
    if (g.self[i] <= 0) continue;
    const stack = pathTo(g, i).slice(1).reverse().map((j) => idOf(g.name[j]));
    out.message(2, (w) => {
      w.packed(1, stack);
      w.packed(2, [g.ls[i]]);
    });
  }
  for (const [name, id] of ids) {
    out.message(4, (w) => {
      w.uint(1, id);
      w.message(4, (l) => l.uint(1, id));
    });
    out.message(5, (w) => {
      w.uint(1, id);
      w.uint(2, str(g.names[name]));
      w.uint(3, str(g.names[name]));
    });
  }
  const utf8 = new TextEncoder();
  for (const s of strings) out.lengthDelimited(6, utf8.encode(s));
  return Uint8Array.from(out.bytes);
}
