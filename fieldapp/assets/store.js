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
export const queueAll = () => run('queue', 'readonly', (s) => s.getAll());
export const queuePut = (item) => run('queue', 'readwrite', (s) => { s.put(item); });
export const queueDelete = (id) => run('queue', 'readwrite', (s) => { s.delete(id); });
export const clearAll = async () => {
  await run('kv', 'readwrite', (s) => { s.clear(); });
  await run('queue', 'readwrite', (s) => { s.clear(); });
};
