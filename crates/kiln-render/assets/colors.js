// Node colours: stable per package or module (a hash of the package prefix
// picks a palette entry), a colour-blind palette, and red/green diff colours.

/** @typedef {'default' | 'colorblind'} PaletteName */

const PALETTES = {
  default: [
    '#f4a259', '#e9c46a', '#8ab17d', '#6fb7c9', '#f08c7e', '#c3a3d9', '#f2b880', '#a7c957',
    '#7fc8a9', '#90a8ed', '#e5989b', '#d4a373', '#b5c99a', '#ffb4a2', '#9bd0e5', '#cdb4db',
  ],
  // Okabe-Ito hues, lightened so dark labels stay readable.
  colorblind: ['#f0b74d', '#7fc6ef', '#4dbb9d', '#ebe071', '#6ea9d4', '#e8955a', '#dba1c2', '#b8b8b8'],
};

const DIFF = {
  default: { slower: [229, 72, 77], faster: [48, 164, 108] },
  colorblind: { slower: [230, 97, 0], faster: [58, 120, 216] },
};

const NEUTRAL = [214, 217, 222];
const ROOT_COLOR = '#c9ced6';

/**
 * The package or module a frame belongs to: `java/lang/`, `main.`, `std::`,
 * `github.com/x/y/pkg`, `file.py`; otherwise the name itself.
 * @param {string} name
 * @returns {string}
 */
export function packageOf(name) {
  const s = name.trim().replace(/^[<&*]+/, '');
  const py = /\(([^()]*?\.py)(?::\d+)?\)\s*$/.exec(s) || /^([^\s:()]*\.py)\b/.exec(s);
  if (py) return py[1].slice(py[1].lastIndexOf('/') + 1);
  const colons = s.indexOf('::');
  if (colons > 0) return s.slice(0, colons + 2);
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    if (/^[A-Z]/.test(s.slice(slash + 1))) return s.slice(0, slash + 1);
    const dot = s.indexOf('.', slash);
    return dot > 0 ? s.slice(0, dot) : s.slice(0, slash + 1);
  }
  const parts = s.split('.');
  if (parts.length < 2) return s;
  const cls = parts.findIndex((p) => /^[A-Z]/.test(p));
  return cls > 0 ? `${parts.slice(0, cls).join('.')}.` : `${parts[0]}.`;
}

/**
 * FNV-1a, 32 bits.
 * @param {string} s
 * @returns {number}
 */
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The colour of a frame in a single (not diff) flame graph.
 * @param {string} name
 * @param {PaletteName} palette
 * @returns {string}
 */
export function nameColor(name, palette) {
  if (name === 'total' || name === 'other') return ROOT_COLOR;
  const colors = PALETTES[palette] || PALETTES.default;
  return colors[fnv1a(packageOf(name)) % colors.length];
}

/**
 * The relative change of a node from baseline to comparison, in percent.
 * Normalised mode compares shares of each side's total; absolute mode
 * compares raw values. New nodes are +Infinity; removed nodes are -100.
 * @param {number} left
 * @param {number} right
 * @param {number} leftTicks
 * @param {number} rightTicks
 * @param {'normalized' | 'absolute'} mode
 * @returns {number}
 */
export function diffPercent(left, right, leftTicks, rightTicks, mode) {
  const l = mode === 'normalized' ? (leftTicks ? left / leftTicks : 0) : left;
  const r = mode === 'normalized' ? (rightTicks ? right / rightTicks : 0) : right;
  if (l === 0) return r === 0 ? 0 : Infinity;
  return ((r - l) / l) * 100;
}

/**
 * The colour of a relative change: grey when unchanged, shading to red
 * (slower) or green (faster), fully at ±100%.
 * @param {number} pct
 * @param {PaletteName} palette
 * @returns {string}
 */
export function diffColor(pct, palette) {
  const side = DIFF[palette] || DIFF.default;
  const target = pct > 0 ? side.slower : side.faster;
  const t = Math.min(1, Math.abs(pct) / 100) ** 0.7;
  const c = NEUTRAL.map((n, i) => Math.round(n + (target[i] - n) * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * The end colours of the diff legend.
 * @param {PaletteName} palette
 * @returns {{slower: string, faster: string, neutral: string}}
 */
export function diffLegendColors(palette) {
  const side = DIFF[palette] || DIFF.default;
  const css = (/** @type {number[]} */ c) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
  return { slower: css(side.slower), faster: css(side.faster), neutral: css(NEUTRAL) };
}
