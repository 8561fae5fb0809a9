// The queue of writes. Every write the user makes goes here first, with the client_id generated when
// they pressed the button, and its photos as blobs; then it is sent. Without a network it stays in
// IndexedDB (closing the app loses nothing) and is sent when the service answers again. A replay of
// the same client_id is answered with the first result by the server, so a write whose answer was
// lost is sent again safely and never counted twice.
//
// item: {client_id, kind, body, photos: [Blob], photos_sent, state, outcome, server_id, result, error,
//        label, created}
// state: waiting → (photos) → done | invalid. outcome: created | duplicate (the server's word).
import { ApiError, Offline, call, currentUser, describe } from './api.js';
import { queueAll, queueDelete, queuePut } from './store.js';

const BATCH = 50;
const RETRY_MS = 8000;
const KEEP_DONE = 40;
const events = new EventTarget();
let flushing = null;
let followUp = null;
let retryTimer = null;

export const KINDS = {
  checkin: { label: '签到', photos: (id) => `checkins/${id}/photos` },
  training: { label: '培训', path: () => 'trainings', photos: (id) => `trainings/${id}/photos` },
  problem: { label: '出题', path: () => 'problems', photos: (id) => `problems/${id}/photos` },
  message: { label: '留言', path: (item) => `problems/${item.problem_id}/messages` },
  position: { label: '村位置', method: 'PUT', path: (item) => `areas/${item.area_code}/position` },
};

export function onQueue(fn) { events.addEventListener('change', (e) => fn(e.detail)); }
function emit(detail) { events.dispatchEvent(new CustomEvent('change', { detail })); }

export async function items() {
  const all = await queueAll();
  return all.sort((a, b) => a.created - b.created);
}
// What the person logged in may see: their own items. Another person's (still waiting, on a shared
// phone) are only counted, never shown.
export async function mine() {
  const user = currentUser();
  return (await items()).filter((i) => user && i.user_id === user.id);
}
export async function othersWaiting() {
  const user = currentUser();
  return (await items()).filter((i) => i.state === 'waiting' && !(user && i.user_id === user.id)).length;
}

export async function enqueue(kind, body, { photos = [], label = '', ...extra } = {}) {
  const item = { client_id: body.client_id, user_id: currentUser().id, kind, body, photos, photos_sent: 0,
    state: 'waiting', outcome: null,
    server_id: null, result: null, error: null, label, created: Date.now(), ...extra };
  await queuePut(item);
  emit({ item });
  return item;
}

// One flush at a time. A caller that comes while one runs (it may have just queued an item that the
// running one did not see) gets one more run after it; callers that come meanwhile share that one.
export function flush() {
  if (!flushing) {
    flushing = run().finally(() => { flushing = null; });
    return flushing;
  }
  if (!followUp) followUp = flushing.catch(() => null).then(() => { followUp = null; return flush(); });
  return followUp;
}

function later() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => flush(), RETRY_MS);
}

async function run() {
  if (!currentUser()) return { offline: false };
  // A shared phone: each person's writes are sent with their own login only.
  const me = currentUser().id;
  const pending = (await items()).filter((i) => i.state === 'waiting' && i.user_id === me);
  if (!pending.length) { await prune(); return { offline: false }; }
  try {
    const checkins = pending.filter((i) => i.kind === 'checkin' && !i.server_id);
    for (let start = 0; start < checkins.length; start += BATCH) await sendCheckins(checkins.slice(start, start + BATCH));
    for (const item of pending) {
      if (item.state !== 'waiting') continue;
      if (!item.server_id && item.kind !== 'checkin') await sendOne(item);
      if (item.server_id && item.state === 'waiting') await sendPhotos(item);
    }
  } catch (err) {
    if (err instanceof Offline || (err instanceof ApiError && (err.status === 429 || err.status >= 500))) {
      later();
      emit({ offline: err instanceof Offline });
      return { offline: true };
    }
    if (err instanceof ApiError && err.status === 401) {
      emit({ login: true });
      return { login: true };
    }
    if (err instanceof ApiError && err.code === 'consent_required') {
      emit({ consent: true });
      return { consent: true };
    }
    throw err;
  }
  await prune();
  emit({ drained: true });
  return { offline: false };
}

async function settle(item, fields) {
  Object.assign(item, fields);
  await queuePut(item);
  emit({ item });
}

async function sendCheckins(batch) {
  const { data } = await call('POST', 'checkins/batch', { json: { items: batch.map((i) => i.body) } });
  const byId = new Map(batch.map((i) => [i.client_id, i]));
  for (const result of data.results) {
    const item = byId.get(result.client_id);
    if (!item) continue;
    if (result.status === 'invalid') {
      await settle(item, { state: 'invalid', outcome: 'invalid', error: errorsText(result.errors) });
    } else {
      await settle(item, { outcome: result.status, server_id: result.id, result: result.checkin || null,
        state: item.photos.length ? 'waiting' : 'done' });
    }
  }
}

async function sendOne(item) {
  const kind = KINDS[item.kind];
  try {
    const { status, data } = await call(kind.method || 'POST', kind.path(item), { json: item.body });
    await settle(item, { outcome: status === 201 || item.kind === 'position' ? 'created' : 'duplicate',
      server_id: data && data.id !== undefined ? data.id : item.client_id, result: data,
      state: item.photos.length && kind.photos ? 'waiting' : 'done' });
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401
        && err.status !== 429 && err.code !== 'consent_required') {
      const error = err.status === 404 || err.status === 405 ? '服务器尚未提供此功能' : describe(err);
      await settle(item, { state: 'invalid', outcome: 'invalid', error });
      return;
    }
    throw err;
  }
}

// Photos go one by one after their record exists; the server recognises a photo sent twice (the
// same bytes) and answers the first copy, so a lost answer here is harmless too.
async function sendPhotos(item) {
  const kind = KINDS[item.kind];
  while (item.photos_sent < item.photos.length) {
    const form = new FormData();
    form.append('photo', item.photos[item.photos_sent], `photo-${item.photos_sent + 1}.jpg`);
    try {
      await call('POST', kind.photos(item.server_id), { form });
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429 && err.status !== 401) {
        await settle(item, { error: `照片未能上传：${describe(err)}`, photos_sent: item.photos_sent + 1 });
        continue;
      }
      throw err;
    }
    await settle(item, { photos_sent: item.photos_sent + 1 });
  }
  await settle(item, { state: 'done', photos: [] });
}

function errorsText(errors) {
  if (!errors) return '无效';
  if (errors.message) return errors.message;
  return Object.entries(errors).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join('；') : v}`).join('，');
}

// Finished items stay in the list for a while so that the user can see what happened to them.
async function prune() {
  const done = (await items()).filter((i) => i.state === 'done' || i.state === 'invalid');
  for (const item of done.slice(0, Math.max(0, done.length - KEEP_DONE))) await queueDelete(item.client_id);
}
