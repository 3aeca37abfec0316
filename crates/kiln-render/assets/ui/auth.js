// Signing in to a server with auth on. The credential (an API token as
// `Bearer`, or a user and password as `Basic`) and the tenant picked for
// a credential scoped to several are kept in sessionStorage: gone with
// the tab, never in localStorage, never in a URL. Every request of the
// UI (api.js, the report export) sends them as `Authorization` and
// `X-Scope-OrgID`. The header's tenant picker lists the credential's
// tenants as the server names them (`GET /ui/api/session`); for a
// credential of any tenant it is free text, completed from the tenants
// used lately in this browser (localStorage: tenant names, never a
// credential).

import { el, button } from '../ui.js';

const KEY = 'kiln-session';

/**
 * @typedef {Object} Session
 * @property {string} authorization  the `Authorization` header's value
 * @property {string} who            what the user signed in as, for the header
 * @property {string} tenant         `X-Scope-OrgID`, or empty to let the server pick
 */

/** The session of this tab, if signed in. @returns {Session | null} */
export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && typeof s.authorization === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** @param {Session} s */
function save(s) {
  sessionStorage.setItem(KEY, JSON.stringify(s));
  if (s.tenant) remember(s.tenant);
  window.dispatchEvent(new Event('kiln:navigate'));
}

const RECENT = 'kiln-recent-tenants';

/** Tenants used lately in this browser, newest first. @returns {string[]} */
function recentTenants() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT) || '[]');
    return Array.isArray(list) ? list.filter((t) => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

/** @param {string} tenant */
function remember(tenant) {
  const list = [tenant, ...recentTenants().filter((t) => t !== tenant)].slice(0, 8);
  localStorage.setItem(RECENT, JSON.stringify(list));
}

/**
 * A datalist of the recent tenants, for a free-text tenant field.
 * @param {HTMLInputElement} input
 * @returns {HTMLElement}
 */
function recentList(input) {
  const list = el('datalist');
  list.id = `k-recent-tenants-${input.name || 'header'}`;
  for (const t of recentTenants()) {
    const o = /** @type {HTMLOptionElement} */ (el('option'));
    o.value = t;
    list.append(o);
  }
  input.setAttribute('list', list.id);
  return list;
}

/** The credential's tenants as the server names them, asked once per credential. */
let described = { authorization: '', tenants: /** @type {Promise<string[] | null>} */ (Promise.resolve(null)) };

/**
 * The tenants the session's credential may use; null when it may use any
 * (or the server could not say).
 * @param {Session} s
 * @returns {Promise<string[] | null>}
 */
function tenantsOf(s) {
  if (described.authorization !== s.authorization) {
    const asked = fetch('/ui/api/session', { credentials: 'omit', headers: { Authorization: s.authorization } })
      .then((r) => (r.ok ? r.json() : null))
      .then((/** @type {any} */ j) => (j && Array.isArray(j.tenants) ? j.tenants.filter((/** @type {unknown} */ t) => typeof t === 'string') : null), () => null);
    described = { authorization: s.authorization, tenants: asked };
  }
  return described.tenants;
}

/** Forgets the credential. */
export function forget() {
  sessionStorage.removeItem(KEY);
}

/** Forgets the credential and draws the page again (the sign-in form, when auth is on). */
function signOut() {
  forget();
  window.dispatchEvent(new Event('kiln:navigate'));
}

/**
 * The headers that carry the session: `Authorization` and `X-Scope-OrgID`.
 * @returns {Record<string, string>}
 */
function authHeaders() {
  const s = session();
  if (!s) return {};
  return s.tenant ? { Authorization: s.authorization, 'X-Scope-OrgID': s.tenant } : { Authorization: s.authorization };
}

/**
 * A POST of JSON to the server with the session's headers. Credentials
 * mode `omit`: the browser's own ones are never sent, and a 401 with a
 * `Basic` challenge comes back to the page instead of opening the
 * browser's login dialog (whose password the browser would keep).
 * @param {string} path
 * @param {any} body
 */
export function post(path, body) {
  return fetch(path, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: JSON.stringify(body),
  });
}

/**
 * `Basic` credentials of a user and password (UTF-8, base64).
 * @param {string} user
 * @param {string} password
 */
function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * @param {string} label
 * @param {string} name
 * @param {string} type
 */
function field(label, name, type) {
  const wrap = el('label', 'k-field k-signin-field');
  const input = /** @type {HTMLInputElement} */ (el('input'));
  input.name = name;
  input.type = type;
  input.autocomplete = 'off';
  input.spellcheck = false;
  wrap.append(el('span', 'k-field-label', label), input);
  return { wrap, input };
}

/**
 * The sign-in page shown when the server answers 401: a token, or a user
 * and password, and an optional tenant. A rejected credential is
 * forgotten and the server's message shown.
 * @param {string} refused the server's message when the stored credential was refused, else ''
 * @returns {HTMLElement}
 */
export function signInPage(refused) {
  const form = /** @type {HTMLFormElement} */ (el('form', 'k-signin'));
  form.method = 'post';
  const token = field('API token', 'token', 'password');
  token.input.placeholder = 'kiln_…';
  const user = field('User', 'user', 'text');
  const password = field('Password', 'password', 'password');
  const tenant = field('Tenant (for a credential with several)', 'tenant', 'text');
  tenant.wrap.append(recentList(tenant.input));
  const note = el('p', 'k-error');
  note.setAttribute('role', 'alert');
  note.hidden = !refused;
  note.textContent = refused ? `The server refused these credentials: ${refused}` : '';
  const submit = /** @type {HTMLButtonElement} */ (el('button', 'k-button k-signin-submit', 'Sign in'));
  submit.type = 'submit';
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = token.input.value.trim();
    const u = user.input.value.trim();
    if (!t && !u) {
      note.textContent = 'Paste an API token (`kiln token create` prints one), or give a user and password.';
      note.hidden = false;
      return;
    }
    const authorization = t ? `Bearer ${t}` : basic(u, password.input.value);
    save({ authorization, who: t ? 'token' : u, tenant: tenant.input.value.trim() });
  });
  form.append(
    el('h1', 'k-signin-title', 'Sign in to Kiln'),
    el('p', 'k-busy', 'This server has authentication on. Your credential stays in this tab only.'),
    token.wrap, el('p', 'k-signin-or', 'or'), user.wrap, password.wrap, tenant.wrap, note, submit,
  );
  return form;
}

/**
 * Header controls of a signed-in tab: who, the tenant (applied on change)
 * and "Sign out"; nothing when not signed in. The tenant is free text
 * until the server names the credential's tenants, then a select of them.
 * @returns {HTMLElement[]}
 */
export function sessionControls() {
  const s = session();
  if (!s) return [];
  const pick = (/** @type {string} */ picked) => {
    if (picked !== session()?.tenant) save({ ...s, tenant: picked });
  };
  const tenant = /** @type {HTMLInputElement} */ (el('input', 'k-tenant'));
  tenant.value = s.tenant;
  tenant.placeholder = 'tenant';
  tenant.setAttribute('aria-label', 'Tenant (X-Scope-OrgID)');
  tenant.addEventListener('change', () => pick(tenant.value.trim()));
  const box = el('span', 'k-tenant-box');
  box.append(tenant, recentList(tenant));
  tenantsOf(s).then((list) => {
    if (list && box.isConnected) box.replaceChildren(tenantSelect(list, s.tenant, pick));
  });
  const out = button('Sign out', signOut, 'k-button k-signout');
  return [el('span', 'k-who', `Signed in (${s.who})`), box, out];
}

/**
 * A select of the credential's tenants; "pick a tenant" first when none is
 * picked and the credential has several.
 * @param {string[]} tenants
 * @param {string} current
 * @param {(t: string) => void} pick
 */
function tenantSelect(tenants, current, pick) {
  const select = /** @type {HTMLSelectElement} */ (el('select', 'k-tenant'));
  select.setAttribute('aria-label', 'Tenant (X-Scope-OrgID)');
  const options = tenants.length > 1 && !tenants.includes(current) ? [['', 'Pick a tenant…'], ...tenants.map((t) => [t, t])] : tenants.map((t) => [t, t]);
  for (const [value, text] of options) {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', text));
    o.value = value;
    select.append(o);
  }
  select.value = tenants.includes(current) ? current : options[0][0];
  select.disabled = tenants.length < 2;
  select.addEventListener('change', () => pick(select.value));
  return select;
}
