// Notifications, live: a single-use ticket, then the websocket; after a reconnect, everything after the
// last id seen is replayed by the server (`since`). The last id is kept in IndexedDB.
import { Offline, call, currentUser, get } from './api.js';
import { kvGet, kvSet, userKey } from './store.js';

const events = new EventTarget();
let socket = null;
let stopped = true;
let backoff = 1000;
let timer = null;
export const state = { unread: 0, connected: false, lastId: null, received: 0 };

export function onLive(fn) { events.addEventListener('change', (e) => fn(e.detail)); }
function emit(detail) { events.dispatchEvent(new CustomEvent('change', { detail })); }

export async function refreshUnread() {
  try {
    const page = await get('notifications?unread=1&limit=1');
    state.unread = page.count;
    emit({});
  } catch (err) { /* offline: keep the last count */ }
}

export function start() {
  if (!stopped) return;
  stopped = false;
  refreshUnread();
  connect();
}

export function stop() {
  stopped = true;
  clearTimeout(timer);
  if (socket) socket.close(1000);
  socket = null;
  Object.assign(state, { unread: 0, lastId: null });
}

// The service answers again (the queue went through): reconnect now rather than at the end of the
// backoff.
export function nudge() {
  if (stopped || socket) return;
  backoff = 1000;
  clearTimeout(timer);
  connect();
}

function retry() {
  if (stopped) return;
  clearTimeout(timer);
  timer = setTimeout(connect, backoff);
  backoff = Math.min(backoff * 2, 30000);
}

let connecting = false;

async function connect() {
  if (stopped || !currentUser() || connecting || socket) return;
  connecting = true;
  try { await open(); } finally { connecting = false; }
}

async function open() {
  let ticket;
  try {
    ticket = (await call('POST', 'notifications/ticket')).data.ticket;
  } catch (err) {
    if (err instanceof Offline || (err.status && err.status >= 429)) retry();
    return;
  }
  state.lastId = (await kvGet(userKey('last-notification', currentUser().id))) || null;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const since = state.lastId ? `&since=${state.lastId}` : '';
  const ws = new WebSocket(`${scheme}://${location.host}/ws/notifications/?ticket=${encodeURIComponent(ticket)}${since}`);
  socket = ws;
  ws.onopen = () => {
    backoff = 1000;
    state.connected = true;
    emit({});
    refreshUnread();
  };
  ws.onmessage = async (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (err) { return; }
    if (typeof message.id !== 'number' || !message.type || message.type === 'acked') return;
    if (state.lastId && message.id <= state.lastId) return;
    state.lastId = message.id;
    await kvSet(userKey('last-notification', currentUser().id), message.id);
    state.received += 1;
    state.unread += 1;
    emit({ notification: message });
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    state.connected = false;
    emit({});
    retry();
  };
}

export const TYPES = {
  'problem.posted': '附近有新问题',
  'claim.created': '有特派员揭榜',
  'claim.accepted': '揭榜被采纳',
  'claim.declined': '揭榜未被采纳',
  'problem.resolved': '问题已办结，待确认',
  'problem.escalated': '问题已上报县级',
  'problem.message': '新留言',
  'problem.rejected': '办结被退回',
  'problem.referred': '问题已转交',
  'problem.closed': '问题已确认办结',
};

export function describeNotification(n) {
  const p = n.payload || {};
  const what = TYPES[n.type] || n.type;
  const detail = p.title || p.summary || p.commissioner_name || '';
  return detail ? `${what}：${detail}` : what;
}
