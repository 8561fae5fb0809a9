// Talking to /api/v1/: the login, the bearer header, one refresh at a time, the contract's error shape.
import { forgetOthers, kvDelete, kvGet, kvSet } from './store.js';

export const config = JSON.parse(document.getElementById('app-config').textContent);

// No answer at all (no network, the server unreachable): the write waits in the queue.
export class Offline extends Error {}
// A 4xx/5xx in the contract's shape: {error: {code, message, fields}}.
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `服务器返回 ${status}`);
    this.status = status;
    this.code = error.code || '';
    this.fields = error.fields || null;
  }
}

let session = null;          // {access, refresh, user}
let refreshing = null;       // the one refresh in flight; every 401 waits for it
const listeners = new Set();

export function onSession(fn) { listeners.add(fn); }
function changed() { listeners.forEach((fn) => fn(session)); }

export async function loadSession() {
  session = (await kvGet('session')) || null;
  return session;
}
export function currentUser() { return session && session.user; }

async function saveSession(next) {
  session = next;
  if (next) await kvSet('session', next); else await kvDelete('session');
  changed();
}

export async function updateUser(fields) {
  if (!session) return;
  await saveSession({ ...session, user: { ...session.user, ...fields } });
}

async function send(method, path, { json, form, token } = {}) {
  const headers = { 'Accept-Language': 'zh-hans', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  let response;
  try {
    response = await fetch(config.api + path.replace(/^\//, ''), { method, headers, body, cache: 'no-store' });
  } catch (err) {
    throw new Offline(String(err));
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
  // A proxy's or a sleeping server's page is no answer from the service.
  if (response.status >= 502 && response.status <= 504 && !data) throw new Offline(`HTTP ${response.status}`);
  return { status: response.status, data };
}

export async function login(phone, password) {
  const { status, data } = await send('POST', 'auth/token', { json: { phone, password } });
  if (status !== 200) throw new ApiError(status, data);
  // A session that ended without a logout (a failed refresh) may have left another person's data.
  await forgetOthers(data.user.id);
  await saveSession({ access: data.access, refresh: data.refresh, user: data.user });
  return data.user;
}

// Single-flight: the first caller that meets an expired access token refreshes; the others wait for
// the same promise and retry with its answer. A refresh token presented twice within 60 s (the answer
// was lost) still works on the server, but one at a time keeps the phone from trying.
function refreshOnce() {
  if (!refreshing) {
    refreshing = (async () => {
      const refresh = session && session.refresh;
      if (!refresh) throw new ApiError(401, null);
      const { status, data } = await send('POST', 'auth/refresh', { json: { refresh } });
      if (status !== 200) {
        if (status === 401 || status === 403) await saveSession(null);
        throw new ApiError(status, data);
      }
      await saveSession({ ...session, access: data.access, refresh: data.refresh || refresh });
      return data.access;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

// An authenticated call. Resolves {status, data} for 2xx; throws ApiError for the rest and Offline
// when nothing answered.
export async function call(method, path, options = {}) {
  if (!session) throw new ApiError(401, null);
  if (refreshing) await refreshing.catch(() => null);
  let answer = await send(method, path, { ...options, token: session && session.access });
  if (answer.status === 401 && session) {
    await refreshOnce();
    answer = await send(method, path, { ...options, token: session.access });
  }
  if (answer.status >= 400) throw new ApiError(answer.status, answer.data);
  return answer;
}
export const get = async (path) => (await call('GET', path)).data;

// A photo (its URL as the API gave it, e.g. /api/v1/photos/7/thumbnail), with the bearer header.
export async function blob(url) {
  if (!session) throw new ApiError(401, null);
  // `no-store`: the service lets a browser keep a photo for a year, and the HTTP cache is keyed by URL,
  // not by login; on a shared phone the next person must not read this one's photos from it.
  const fetchIt = () => fetch(url, { headers: { Authorization: `Bearer ${session.access}` }, cache: 'no-store' });
  let response;
  try {
    response = await fetchIt();
    if (response.status === 401) { await refreshOnce(); response = await fetchIt(); }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new Offline(String(err));
  }
  if (!response.ok) throw new ApiError(response.status, null);
  return response.blob();
}

// A phone may be shared: logging out forgets the person's finished writes (their bodies and photos)
// and everything kept for them (store.js, forgetOthers); writes still waiting stay for their author.
export async function logout() {
  const refresh = session && session.refresh;
  if (refresh) send('POST', 'auth/logout', { json: { refresh } }).catch(() => null);
  await saveSession(null);
  await forgetOthers(null);
}

export async function changePassword(oldPassword, newPassword) {
  const { data } = await call('POST', 'me/password', { json: { old_password: oldPassword, new_password: newPassword } });
  await saveSession({ ...session, access: data.access, refresh: data.refresh,
    user: { ...session.user, password_change_required: false } });
}

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Flatten the contract's `fields` into one readable line (the server already speaks Chinese).
export function describe(err) {
  if (err instanceof Offline) return '没有网络，已保存在手机上，有网后自动发送。';
  let text = err.message || String(err);
  if (err.fields && typeof err.fields === 'object') {
    const details = Object.entries(err.fields).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join('；') : v}`);
    if (details.length) text += `（${details.join('，')}）`;
  }
  return text;
}
