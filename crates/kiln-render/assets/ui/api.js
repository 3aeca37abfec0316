// The UI's only way to the server: the querier (`querier.v1.QuerierService`)
// and adhoc (`adhocprofiles.v1.AdHocProfileService`) Connect services in
// their JSON encoding, as Grafana uses them, with the signed-in session's
// headers (auth.js). int64 fields arrive as strings (protojson) and are
// turned into numbers here.

import { post } from './auth.js';

/** An error to show the user: the server's own message, or that it is unreachable. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {string} code Connect's code, or `unreachable`
   * @param {number} status the HTTP status (0 when unreachable)
   * @param {string} [reason] the server's message alone
   */
  constructor(message, code, status, reason) {
    super(message);
    this.code = code;
    this.status = status;
    this.reason = reason || message;
  }
}

/**
 * Calls one Connect method with a JSON body.
 * @param {string} service
 * @param {string} method
 * @param {any} body
 * @returns {Promise<any>}
 */
export function call(service, method, body) {
  const key = `${service}/${method} ${JSON.stringify(body)}`;
  if (asking) {
    const answer = asking.get(key) || send(service, method, body);
    answer.catch(() => {}); // seen by the call that takes it, if one does
    asked.set(key, answer);
    return answer;
  }
  const taken = asked.get(key);
  if (taken) {
    asked.delete(key);
    return taken;
  }
  return send(service, method, body);
}

/** Answers asked for ahead of need (see `ahead`), by method and body; each is taken once. */
const asked = /** @type {Map<string, Promise<any>>} */ (new Map());
/** While `ahead` runs: what the previous `ahead` asked and no one took, when reused. */
let asking = /** @type {Map<string, Promise<any>> | null} */ (null);

/**
 * Starts the calls `run` makes now, before the page that needs them is
 * drawn: the same call made later (same method, same body) takes the
 * answer instead of asking again. What the previous `ahead` asked and no
 * one took is forgotten, or with `reuse` (the same draw asking again)
 * taken by the same call instead of asking twice.
 * @param {() => void} run
 * @param {boolean} [reuse]
 */
export function ahead(run, reuse = false) {
  asking = reuse ? new Map(asked) : new Map();
  asked.clear();
  try {
    run();
  } finally {
    asking = null;
  }
}

/**
 * @param {string} service
 * @param {string} method
 * @param {any} body
 * @returns {Promise<any>}
 */
async function send(service, method, body) {
  let resp;
  try {
    resp = await post(`/${service}/${method}`, body);
  } catch (e) {
    throw new ApiError(`The Kiln server is unreachable (${method}): ${e instanceof Error ? e.message : e}`, 'unreachable', 0);
  }
  const text = await resp.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = null;
  }
  if (resp.ok && json) return json;
  const message = json && json.message ? json.message : `HTTP ${resp.status} ${text.slice(0, 300)}`;
  throw new ApiError(`${method}: ${message}`, (json && json.code) || String(resp.status), resp.status, message);
}

/**
 * @param {string} method
 * @param {any} body
 */
export function querier(method, body) {
  return call('querier.v1.QuerierService', method, body);
}

/**
 * One call of the adhoc service (`adhocprofiles.v1.AdHocProfileService`).
 * @param {string} method
 * @param {any} body
 */
export function adhoc(method, body) {
  return call('adhocprofiles.v1.AdHocProfileService', method, body);
}

/**
 * A label value quoted for a selector.
 * @param {string} v
 */
export function quote(v) {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The selector of a service narrowed by the user's matchers (`{a="b"}` or `a="b"`).
 * @param {string} service
 * @param {string} matchers
 * @returns {string}
 */
export function selectorOf(service, matchers) {
  const inner = matchers.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
  const parts = [];
  if (service) parts.push(`service_name=${quote(service)}`);
  if (inner) parts.push(inner);
  return `{${parts.join(', ')}}`;
}

/**
 * @typedef {Object} Point
 * @property {number} t        ms
 * @property {number} v
 * @property {Array<{profileId: string, t: number, value: number, labels: Array<{name: string, value: string}>}>} exemplars
 */

/**
 * @typedef {Object} Series
 * @property {Array<{name: string, value: string}>} labels
 * @property {Point[]} points
 */

/**
 * SelectSeries, with numbers as numbers.
 * @param {{type: string, selector: string, start: number, end: number, step: number, groupBy?: string[], exemplars?: boolean}} q
 * @returns {Promise<Series[]>}
 */
export async function selectSeries(q) {
  const body = {
    profile_typeID: q.type, label_selector: q.selector, start: q.start, end: q.end, step: q.step,
    group_by: q.groupBy || [], exemplar_type: q.exemplars ? 'EXEMPLAR_TYPE_INDIVIDUAL' : 'EXEMPLAR_TYPE_NONE',
  };
  const r = await querier('SelectSeries', body);
  return (r.series || []).map((/** @type {any} */ s) => ({
    labels: s.labels || [],
    points: (s.points || []).map((/** @type {any} */ p) => ({
      t: Number(p.timestamp), v: Number(p.value || 0),
      exemplars: (p.exemplars || []).map((/** @type {any} */ e) => ({
        profileId: e.profileId, t: Number(e.timestamp), value: Number(e.value || 0), labels: e.labels || [],
      })),
    })),
  }));
}

/**
 * SelectMergeStacktraces as the report's payload (names and number levels).
 * @param {{type: string, selector: string, start: number, end: number, maxNodes: number, profileIds?: string[]}} q
 * @returns {Promise<{names: string[], levels: number[][], total: number, maxSelf: number}>}
 */
export async function mergeStacktraces(q) {
  const body = {
    profile_typeID: q.type, label_selector: q.selector, start: q.start, end: q.end, max_nodes: q.maxNodes,
    profile_id_selector: q.profileIds || [],
  };
  const r = await querier('SelectMergeStacktraces', body);
  const fg = r.flamegraph || {};
  return {
    names: fg.names || [],
    levels: (fg.levels || []).map((/** @type {any} */ l) => (l.values || []).map(Number)),
    total: Number(fg.total || 0),
    maxSelf: Number(fg.maxSelf || 0),
  };
}

/**
 * Label names of a selector, internal ones (`__name__`, ...) left out.
 * @param {string} selector
 * @param {number} start
 * @param {number} end
 * @returns {Promise<string[]>}
 */
export async function labelNames(selector, start, end) {
  const r = await querier('LabelNames', { matchers: [selector], start, end });
  return (r.names || []).filter((/** @type {string} */ n) => !n.startsWith('__'));
}

/**
 * Values of one label under a selector.
 * @param {string} name
 * @param {string} selector
 * @param {number} start
 * @param {number} end
 * @returns {Promise<string[]>}
 */
export async function labelValues(name, selector, start, end) {
  const r = await querier('LabelValues', { name, matchers: [selector], start, end });
  return r.names || [];
}
