// The field app's entry: the service worker, the session, the routes, the tabs, the live badge.
import { Offline, config, currentUser, get, loadSession, onSession, updateUser } from './api.js';
import { flush, mine, onQueue } from './queue.js';
import { describeNotification, nudge, onLive, start as startLive, state as live, stop as stopLive } from './live.js';
import * as screens from './screens.js';

const { h, toast, go } = screens;
const view = document.getElementById('view');
// What the tests (and a curious developer) can read: the route drawn, the queue, the socket.
window.fieldApp = { ready: false, route: '', live, queue: { waiting: 0, total: 0 }, online: null };

const COMMISSIONER_TABS = [['#/today', '今天'], ['#/checkin', '签到'], ['#/training', '培训'], ['#/problems', '附近问题'], ['#/queue', '待发送'], ['#/me', '我的']];
const STAFF_TABS = [['#/today', '今天'], ['#/post', '出题'], ['#/survey', '村位置'], ['#/queue', '待发送'], ['#/me', '我的']];

const ROUTES = {
  login: screens.loginScreen,
  password: screens.passwordScreen,
  consent: (v) => screens.consentScreen(v, '#/checkin'),
  today: screens.todayScreen,
  checkin: screens.checkinScreen,
  training: screens.trainingScreen,
  problems: screens.problemsScreen,
  problem: screens.problemScreen,
  notices: screens.noticesScreen,
  queue: screens.queueScreen,
  post: screens.postScreen,
  survey: screens.surveyScreen,
  me: screens.accountScreen,
};
const COMMISSIONER_ONLY = new Set(['checkin', 'training', 'problems', 'consent']);
const STAFF_ONLY = new Set(['post', 'survey']);

function drawTabs(user, route) {
  const nav = document.getElementById('tabs');
  const bell = document.getElementById('bell');
  if (!user || user.password_change_required) { nav.hidden = true; bell.hidden = true; return; }
  const tabs = user.role === 'commissioner' ? COMMISSIONER_TABS : STAFF_TABS;
  nav.replaceChildren(...tabs.map(([href, text]) => h('a', { href, class: href === `#/${route}` ? 'active' : null }, text)));
  nav.hidden = false;
  bell.hidden = false;
}

function drawBadge() {
  const badge = document.getElementById('badge');
  badge.textContent = String(live.unread);
  badge.hidden = live.unread <= 0;
  const count = document.getElementById('unread-count');
  if (count) count.textContent = String(live.unread);
}

async function drawQueueCount() {
  const all = await mine();
  const waitingCount = all.filter((i) => i.state === 'waiting').length;
  window.fieldApp.queue = { waiting: waitingCount, total: all.length };
  const count = document.getElementById('queue-count');
  if (count) count.textContent = String(waitingCount);
  const tab = document.querySelector('#tabs a[href="#/queue"]');
  if (tab) tab.textContent = waitingCount ? `待发 ${waitingCount}` : '待发送';
}

function setOnline(online) {
  window.fieldApp.online = online;
  const net = document.getElementById('net');
  net.dataset.state = online ? 'online' : 'offline';
  net.textContent = online ? '' : '离线';
  net.hidden = online;
}

async function route() {
  const [name, param] = (location.hash.replace(/^#\/?/, '') || 'today').split('/');
  let user = currentUser();
  let target = ROUTES[name] ? name : 'today';
  if (!user) target = 'login';
  else if (user.password_change_required && target !== 'password') target = 'password';
  else if (user.role === 'commissioner' && STAFF_ONLY.has(target)) target = 'today';
  else if (user.role !== 'commissioner' && COMMISSIONER_ONLY.has(target)) target = 'today';
  if (target === 'login' && user) target = 'today';
  if (target !== name) history.replaceState(null, '', `#/${target}`);
  window.fieldApp.ready = false;
  window.fieldApp.route = target;
  document.body.dataset.route = target;
  drawTabs(user, target);
  view.replaceChildren(h('p', { class: 'muted' }, '加载中…'));
  try {
    await ROUTES[target](view, param);
  } catch (err) {
    view.replaceChildren(h('p', { class: 'error' }, err instanceof Offline ? '没有网络' : String(err.message || err)));
  }
  drawBadge();
  await drawQueueCount();
  window.fieldApp.ready = true;
}

// The user as the server knows them now (consent, a reset password); offline, what we had.
async function freshUser() {
  try {
    const me = await get('me');
    await updateUser({ name: me.name, role: me.role, area_code: me.area_code,
      location_consent: me.location_consent, password_change_required: me.password_change_required });
    setOnline(true);
  } catch (err) {
    if (err instanceof Offline) setOnline(false);
  }
}

async function startSession() {
  if (!currentUser()) return;
  await freshUser();
  startLive();
  flush();
  screens.warm();
}

onSession((session) => {
  if (!session) { stopLive(); screens.clearToast(); drawBadge(); }
});

onLive((detail) => {
  drawBadge();
  if (detail.notification) toast(describeNotification(detail.notification));
});

onQueue(async (detail) => {
  if (detail.offline !== undefined) setOnline(!detail.offline);
  if (detail.drained) { setOnline(true); nudge(); }
  if (detail.consent) go('#/consent');
  if (detail.login) go('#/login');
  await drawQueueCount();
  if (window.fieldApp.route === 'queue' && (detail.drained || detail.item)) screens.queueScreen(view).then(drawQueueCount);
});

window.addEventListener('hashchange', route);
window.addEventListener('online', () => { setOnline(true); flush(); nudge(); });
window.addEventListener('offline', () => setOnline(false));
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') flush(); });

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register(config.sw, { scope: new URL('./', new URL(config.sw, location.href)).pathname });
  } catch (err) {
    console.warn('service worker not registered', err);
  }
}

async function boot() {
  await loadSession();
  registerWorker();
  let loggedIn = Boolean(currentUser());
  onSession(async (session) => {
    if (session && !loggedIn) { loggedIn = true; await startSession(); }
    if (!session) loggedIn = false;
  });
  await route();
  await startSession();
}

boot();
