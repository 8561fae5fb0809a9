// The phone's storage: one IndexedDB database with a key-value store (the login, the cursors, cached
// lists) and the queue of writes waiting for the network (with their photo blobs). IndexedDB keeps
// them when the app is closed, which sessionStorage would not.
const DB_NAME = 'kjtpy-field-app';
const DB_VERSION = 1;
let opening = null;

function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const d = request.result;
        if (!d.objectStoreNames.contains('kv')) d.createObjectStore('kv');
        if (!d.objectStoreNames.contains('queue')) d.createObjectStore('queue', { keyPath: 'client_id' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(store, mode, work) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(store, mode);
    const result = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const kvGet = (key) => run('kv', 'readonly', (s) => s.get(key));
export const kvSet = (key, value) => run('kv', 'readwrite', (s) => { s.put(value, key); });
export const kvDelete = (key) => run('kv', 'readwrite', (s) => { s.delete(key); });
export const kvKeys = () => run('kv', 'readonly', (s) => s.getAllKeys());
export const queueAll = () => run('queue', 'readonly', (s) => s.getAll());
export const queuePut = (item) => run('queue', 'readwrite', (s) => { s.put(item); });
export const queueDelete = (id) => run('queue', 'readwrite', (s) => { s.delete(id); });

// A shared phone. What belongs to one person is kept under `<name>:<user id>[:<more>]` (the last position,
// the last notification seen, the claimed problems, the villages of the townships visited); what names
// no person (the session, the categories) has no `:`. Earlier builds kept the last position and the
// village lists unkeyed (`last-position`, `village-sets`, `villages:<township>`): they go as well.
const LEGACY = new Set(['last-position', 'village-sets']);
export const userKey = (name, userId, ...more) => [name, userId, ...more].join(':');

// Forget everyone's finished writes and per-person keys but `keep`'s (null: everyone's). Writes still
// waiting stay: they belong to their author and are sent with the author's login only.
export async function forgetOthers(keep) {
  const keepId = keep === null || keep === undefined ? null : String(keep);
  const stale = (await kvKeys()).filter((key) => typeof key === 'string'
    && (LEGACY.has(key) || (key.includes(':') && key.split(':')[1] !== keepId)));
  await run('kv', 'readwrite', (s) => { stale.forEach((key) => s.delete(key)); });
  const finished = (await queueAll()).filter((item) => item.state !== 'waiting' && String(item.user_id) !== keepId);
  await run('queue', 'readwrite', (s) => { finished.forEach((item) => s.delete(item.client_id)); });
}
