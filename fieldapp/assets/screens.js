// The screens. Each takes the <main> element and the route's parameter, and draws itself with DOM calls
// (whatever a person typed is shown as text, never parsed as markup).
import {
  ApiError, Offline, blob, call, changePassword, config, currentUser, describe, get, login, logout, newClientId,
  updateUser,
} from './api.js';
import { enqueue, flush, items, KINDS, mine, othersWaiting } from './queue.js';
import { describeNotification, refreshUnread, state as live } from './live.js';
import { kvGet, kvSet, userKey } from './store.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let toastTimer = null;
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}
// A session ends: what was said to that person goes with it.
export function clearToast() {
  clearTimeout(toastTimer);
  const el = document.getElementById('toast');
  el.textContent = '';
  el.hidden = true;
}

export const go = (hash) => { if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange')); else location.hash = hash; };

const STATUS = { open: '待揭榜', in_progress: '办理中', resolved: '待确认', closed: '已办结', withdrawn: '已撤回' };
const CLAIM = { pending: '待采纳', accepted: '已采纳', declined: '未采纳', referred: '已转交', withdrawn: '已撤回' };
const URGENCY = { low: '不急', normal: '一般', high: '紧急' };
const MODES = { lecture: '集中授课', field: '现场指导', countryside: '科技下乡', popular_science: '科普' };
const OUTCOME = { waiting: '待发送', created: '已创建', duplicate: '重复（已有）', invalid: '无效', done: '已完成' };

const field = (label, input) => h('label', {}, label, input);
const card = (...children) => h('section', { class: 'card' }, ...children);
const km = (v) => (v == null ? '' : v < 1 ? `${Math.round(v * 1000)} 米` : `${v.toFixed(1)} 公里`);
const when = (iso) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');

function busy(button, work) {
  return async (event) => {
    if (event) event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    try { await work(); } catch (err) { toast(describe(err)); } finally { button.disabled = false; }
  };
}

// ---------- position, villages, categories, photos ----------

export function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error('此浏览器无法定位')); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => {
        const here = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: Math.round(p.coords.accuracy) };
        const user = currentUser();
        if (user) kvSet(userKey('last-position', user.id), here);
        resolve(here);
      },
      (err) => reject(new Error(err.code === 1 ? '未允许定位：请在浏览器设置中允许本站使用位置' : '定位失败，请到开阔处重试')),
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
    );
  });
}

function metres(a, b) {
  const r = 6371008.8; const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad; const dLng = (b.lng - a.lng) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(s));
}

// The townships a person has visited tell where they went: the lists are kept per person.
async function villagesOf(township) {
  const { id } = currentUser();
  const key = userKey('villages', id, township);
  try {
    const page = await get(`areas?level=village&parent=${township}&limit=200`);
    const list = page.items.map((a) => ({ code: a.code, name: a.name, lat: a.lat, lng: a.lng }));
    await kvSet(key, list);
    const known = (await kvGet(userKey('village-sets', id))) || [];
    if (!known.includes(key)) await kvSet(userKey('village-sets', id), [...known, key]);
    return list;
  } catch (err) {
    if (err instanceof Offline) return (await kvGet(key)) || [];
    throw err;
  }
}

// The villages nearest the phone: the service's /geo/locate and the township's villages; offline, the
// villages this phone has seen before.
async function nearestVillages(here) {
  let list = [];
  try {
    const found = await get(`geo/locate?lat=${here.lat}&lng=${here.lng}`);
    if (found.township) list = await villagesOf(found.township.code);
    else if (found.village) list = [{ ...found.village, lat: here.lat, lng: here.lng }];
  } catch (err) {
    if (!(err instanceof Offline)) throw err;
    for (const key of (await kvGet(userKey('village-sets', currentUser().id))) || []) list = list.concat((await kvGet(key)) || []);
  }
  return list.filter((v) => v.lat != null)
    .map((v) => ({ ...v, distance: metres(here, v) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 6);
}

async function categories() {
  try {
    const page = await get('categories?limit=200');
    await kvSet('categories', page.items);
    return page.items;
  } catch (err) {
    return (await kvGet('categories')) || [];
  }
}

// What a screen needs offline, fetched while there is a network: the categories, the villages of the
// staff member's township.
export async function warm() {
  await categories();
  const user = currentUser();
  if (user && user.area_code.length === 9) await villagesOf(user.area_code).catch(() => null);
}

function categorySelect(list, name = 'category') {
  return h('select', { name, required: true },
    list.map((c) => h('option', { value: c.code }, c.parent ? `　${c.name}` : c.name)));
}

// A camera photo, made smaller on the phone (longest side 1600 px, JPEG): a 4 MB picture becomes a few
// hundred kB for the uplink.
async function resized(file, longest = 1600) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.82));
    return blob || file;
  } catch (err) {
    return file;
  }
}

function photoInput(multiple = true) {
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple, name: 'photos' });
  const thumbs = h('div', { class: 'thumbs' });
  input.addEventListener('change', () => {
    thumbs.replaceChildren(...[...input.files].map((f) => h('img', { src: URL.createObjectURL(f), alt: '' })));
  });
  return { input, thumbs, blobs: async () => Promise.all([...input.files].map((f) => resized(f))) };
}

// ---------- log in, password, consent ----------

export function loginScreen(view) {
  const phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'username', inputmode: 'numeric', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'wide', id: 'login-submit' }, '登录');
  const error = h('p', { class: 'error', id: 'login-error' });
  const form = h('form', {}, field('手机号', phone), field('密码', password), button, error);
  form.addEventListener('submit', busy(button, async () => {
    error.textContent = '';
    try {
      const user = await login(phone.value.trim(), password.value);
      go(user.password_change_required ? '#/password' : '#/today');
    } catch (err) {
      error.textContent = err instanceof Offline ? '没有网络，登录需要网络。' : describe(err);
    }
  }));
  view.replaceChildren(h('h2', {}, '登录'), card(form),
    h('p', { class: 'muted' }, '特派员和乡镇工作人员使用县科技部门登记的手机号登录。'));
}

export function passwordScreen(view) {
  const old = h('input', { type: 'password', name: 'old_password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: 8 });
  const again = h('input', { type: 'password', name: 'new_password_again', autocomplete: 'new-password', required: true });
  const button = h('button', { type: 'submit', class: 'wide' }, '修改密码');
  const error = h('p', { class: 'error' });
  const form = h('form', {}, field('当前（临时）密码', old), field('新密码（至少 8 位）', next), field('再输一次', again), button, error);
  form.addEventListener('submit', busy(button, async () => {
    error.textContent = '';
    if (next.value !== again.value) { error.textContent = '两次输入的新密码不一致'; return; }
    try {
      await changePassword(old.value, next.value);
      toast('密码已修改');
      go('#/today');
    } catch (err) { error.textContent = describe(err); }
  }));
  view.replaceChildren(h('h2', {}, '请设置新密码'),
    h('p', { class: 'muted' }, '您的密码是别人替您设置的，请先换成只有您知道的密码。'), card(form));
}

// PIPL art. 29: a commissioner's position is sensitive personal information; the app asks before the
// first check-in, and the server refuses position writes without the recorded answer.
export function consentScreen(view, next = '#/checkin') {
  const agree = h('button', { class: 'wide', id: 'consent-agree' }, '同意并继续');
  agree.addEventListener('click', busy(agree, async () => {
    await call('POST', 'me/consents', { json: { kind: 'location', version: config.consent_version } });
    await updateUser({ location_consent: true });
    flush();
    go(next);
  }));
  view.replaceChildren(h('h2', {}, '位置信息授权'), card(
    h('div', { class: 'consent' },
      h('p', {}, '签到、培训登记和就近揭榜需要使用您手机的位置。位置属于敏感个人信息，依照《个人信息保护法》第二十九条，需要您单独同意。'),
      h('p', {}, '用途：核实您到村服务（签到的位置与所到村的距离），统计服务覆盖情况。只在您签到、登记时读取一次位置，不做持续跟踪。'),
      h('p', {}, '谁能看到：您本人，以及您服务地区的乡镇、县级科技部门和市科技局工作人员。签到轨迹按规定期限保存后删除。'),
      h('p', { class: 'muted' }, `授权文本版本 ${config.consent_version}。不同意则不能签到，其他功能照常使用。`)),
    agree, h('a', { class: 'button secondary wide', href: '#/today' }, '暂不同意')));
}

// ---------- commissioner ----------

async function queueSummary() {
  const all = await mine();
  const waitingCount = all.filter((i) => i.state === 'waiting').length;
  return card(h('a', { href: '#/queue', id: 'queue-link' },
    h('b', {}, '待发送 '), h('span', { id: 'queue-count' }, String(waitingCount)), ' 条',
    waitingCount ? h('span', { class: 'muted' }, '（有网后自动发送）') : ''));
}

export async function todayScreen(view) {
  const user = currentUser();
  view.replaceChildren(h('h2', {}, `${user.name}，您好`), await queueSummary(),
    card(h('a', { href: '#/notices' }, h('b', {}, '未读通知 '), h('span', { id: 'unread-count' }, String(live.unread)))));
  if (user.role === 'commissioner') {
    const dispatches = card(h('h3', {}, '我的选派'), h('p', { class: 'muted' }, '加载中…'));
    const claims = card(h('h3', {}, '我揭榜的问题'), h('p', { class: 'muted' }, '加载中…'));
    view.append(dispatches, claims);
    try {
      const page = await get(`dispatches?commissioner=${user.id}&limit=20`);
      dispatches.replaceChildren(h('h3', {}, '我的选派'), page.items.length ? h('ul', { class: 'list' }, page.items.map((d) =>
        h('li', {}, `${d.village_name || d.village_code}`, h('div', { class: 'muted' }, `${d.starts_on} 起${d.ends_on ? `，至 ${d.ends_on}` : ''}`))))
        : h('p', { class: 'muted' }, '暂无选派'));
    } catch (err) { dispatches.lastChild.textContent = err instanceof Offline ? '离线：有网后显示' : describe(err); }
    const claimed = (await kvGet(userKey('claims', user.id))) || [];
    const rows = [];
    for (const id of claimed.slice(-20).reverse()) {
      try {
        const p = await get(`problems/${id}`);
        if (p.status === 'closed' || p.status === 'withdrawn') continue;
        rows.push(h('li', {}, h('a', { href: `#/problem/${id}` }, p.title, h('div', { class: 'muted' }, STATUS[p.status] || p.status))));
      } catch (err) { if (err instanceof Offline) break; }
    }
    claims.replaceChildren(h('h3', {}, '我揭榜的问题'), rows.length ? h('ul', { class: 'list', id: 'my-claims' }, rows) : h('p', { class: 'muted' }, '暂无'));
  } else {
    const list = card(h('h3', {}, '本乡镇的问题'), h('p', { class: 'muted' }, '加载中…'));
    view.append(h('a', { class: 'button wide', href: '#/post' }, '发布问题'), h('p'), list);
    try {
      const page = await get('problems?limit=50');
      list.replaceChildren(h('h3', {}, '本乡镇的问题'), page.items.length ? h('ul', { class: 'list', id: 'problem-list' }, page.items.map((p) =>
        h('li', {}, h('a', { href: `#/problem/${p.id}` }, p.title,
          h('div', { class: 'muted' }, h('span', { class: 'tag' }, STATUS[p.status] || p.status), p.village_name || p.village_code)))))
        : h('p', { class: 'muted' }, '还没有发布问题'));
    } catch (err) { list.lastChild.textContent = err instanceof Offline ? '离线：有网后显示' : describe(err); }
  }
}

function villageChoices(list, name = 'village') {
  if (!list.length) return h('p', { class: 'muted' }, '附近没有已知的村（首次使用需要网络）');
  return h('div', { class: 'choices' }, list.map((v, i) => h('label', {},
    h('input', { type: 'radio', name, value: v.code, checked: i === 0, required: true }),
    h('span', {}, v.name, v.distance != null ? h('span', { class: 'muted' }, ` ${km(v.distance / 1000)}`) : ''))));
}

export async function checkinScreen(view) {
  const user = currentUser();
  if (!user.location_consent) { consentScreen(view, '#/checkin'); return; }
  const where = h('p', { id: 'where', class: 'muted' }, '正在定位…');
  const villages = h('div', { id: 'villages' });
  const note = h('textarea', { name: 'note', maxlength: 500 });
  const photo = photoInput(false);
  const button = h('button', { type: 'submit', class: 'wide', id: 'checkin-submit', disabled: true }, '签到');
  const result = h('p', { id: 'checkin-result' });
  const form = h('form', {}, h('h3', {}, '所在村'), villages, field('备注（可不填）', note), field('现场照片', photo.input), photo.thumbs, button, result);
  view.replaceChildren(h('h2', {}, '进村签到'), card(where), card(form));
  let here = null;
  try {
    here = await position();
    where.textContent = `我的位置：${here.lat.toFixed(5)}, ${here.lng.toFixed(5)}（精度约 ${here.accuracy} 米）`;
    villages.replaceChildren(villageChoices(await nearestVillages(here)));
    button.disabled = false;
  } catch (err) { where.textContent = describe(err); where.className = 'error'; }
  form.addEventListener('submit', busy(button, async () => {
    const chosen = form.querySelector('input[name=village]:checked');
    if (!chosen || !here) return;
    const body = { client_id: newClientId(), village_code: chosen.value, lat: here.lat, lng: here.lng,
      accuracy_m: here.accuracy, occurred_at: new Date().toISOString() };
    if (note.value.trim()) body.note = note.value.trim();
    const village = chosen.parentElement.textContent.split(' ')[0];
    const item = await enqueue('checkin', body, { photos: await photo.blobs(), label: village });
    const outcome = await flush();
    const fresh = (await items()).find((i) => i.client_id === item.client_id);
    result.className = fresh.state === 'invalid' ? 'error' : 'ok';
    if (fresh.state === 'invalid') result.textContent = `签到无效：${fresh.error}`;
    else if (fresh.outcome) {
      const c = fresh.result || {};
      result.textContent = `已签到：${village}${c.verified ? '，位置核实' : `，距村 ${Math.round(c.distance_m || 0)} 米，已标记待核`}`;
    } else result.textContent = outcome && outcome.consent ? '需要位置授权' : '没有网络：签到已保存在手机上，有网后自动发送。';
    note.value = '';
    photo.input.value = '';
    photo.thumbs.replaceChildren();
  }));
}

export async function trainingScreen(view) {
  const user = currentUser();
  if (!user.location_consent) { consentScreen(view, '#/training'); return; }
  const where = h('p', { class: 'muted' }, '正在定位…');
  const villages = h('div');
  const topic = h('input', { name: 'topic', required: true, maxlength: 200 });
  const cats = h('div', {}, categorySelect(await categories()));
  const mode = h('select', { name: 'mode' }, Object.entries(MODES).map(([k, v]) => h('option', { value: k }, v)));
  const headcount = h('input', { name: 'headcount', type: 'number', min: 1, max: 5000, required: true, inputmode: 'numeric' });
  const households = h('input', { name: 'households', type: 'number', min: 0, max: 5000, inputmode: 'numeric' });
  const hours = h('input', { name: 'duration_hours', type: 'number', min: 0.5, max: 24, step: 0.5, value: '2' });
  const photo = photoInput(true);
  const button = h('button', { type: 'submit', class: 'wide', id: 'training-submit' }, '登记培训');
  const result = h('p', { id: 'training-result' });
  const form = h('form', {}, h('h3', {}, '培训村'), villages, field('主题', topic), field('产业类别', cats), field('形式', mode),
    h('div', { class: 'row' }, field('人次', headcount), field('户数', households)), field('时长（小时）', hours),
    field('照片', photo.input), photo.thumbs, button, result);
  view.replaceChildren(h('h2', {}, '登记培训'), card(where), card(form));
  let here = null;
  try {
    here = await position();
    where.textContent = `我的位置：精度约 ${here.accuracy} 米`;
    villages.replaceChildren(villageChoices(await nearestVillages(here), 'training-village'));
  } catch (err) { where.textContent = describe(err); }
  form.addEventListener('submit', busy(button, async () => {
    const chosen = form.querySelector('input[name=training-village]:checked');
    if (!chosen) { toast('请选择村'); return; }
    const body = { client_id: newClientId(), village_code: chosen.value, topic: topic.value.trim(),
      category: form.querySelector('select[name=category]').value, mode: mode.value,
      started_at: new Date(Date.now() - Number(hours.value || 2) * 3600e3).toISOString(),
      duration_hours: Number(hours.value || 2), headcount: Number(headcount.value) };
    if (households.value) body.households = Number(households.value);
    if (here) Object.assign(body, { lat: here.lat, lng: here.lng });
    const item = await enqueue('training', body, { photos: await photo.blobs(), label: body.topic });
    await flush();
    const fresh = (await items()).find((i) => i.client_id === item.client_id);
    result.className = fresh.state === 'invalid' ? 'error' : 'ok';
    result.textContent = fresh.state === 'invalid' ? `未能登记：${fresh.error}`
      : fresh.outcome ? `已登记：${body.topic}，${body.headcount} 人次` : '没有网络：培训已保存在手机上，有网后自动发送。';
    if (fresh.state !== 'invalid') { topic.value = ''; headcount.value = ''; households.value = ''; photo.input.value = ''; photo.thumbs.replaceChildren(); }
  }));
}

export async function problemsScreen(view) {
  const listCard = card(h('p', { class: 'muted' }, '正在定位…'));
  const mapBox = h('div', { class: 'map', id: 'problems-map', hidden: true });
  const toggle = h('button', { class: 'secondary wide', id: 'map-toggle' }, '地图');
  view.replaceChildren(h('h2', {}, '附近的问题'), toggle, h('p'), mapBox, listCard);
  let here = null;
  try { here = await position(); } catch (err) { here = await kvGet(userKey('last-position', currentUser().id)); }
  const near = here ? `&near=${here.lat},${here.lng}&radius_km=80` : '';
  let page;
  try { page = await get(`problems?status=open&limit=50${near}`); } catch (err) {
    listCard.replaceChildren(h('p', { class: 'muted' }, err instanceof Offline ? '离线：有网后显示' : describe(err)));
    return;
  }
  listCard.replaceChildren(page.items.length ? h('ul', { class: 'list', id: 'problem-list' }, page.items.map((p) => h('li', {},
    h('a', { href: `#/problem/${p.id}` }, h('b', {}, p.title), h('div', { class: 'muted' },
      h('span', { class: `tag ${p.urgency}` }, URGENCY[p.urgency] || p.urgency), `${p.village_name || p.village_code} `, km(p.distance_km))))))
    : h('p', { class: 'muted' }, '附近暂无待揭榜的问题'));
  let drawn = false;
  toggle.addEventListener('click', async () => {
    mapBox.hidden = !mapBox.hidden;
    toggle.textContent = mapBox.hidden ? '地图' : '收起地图';
    if (!mapBox.hidden && !drawn) {
      drawn = true;
      const { problemsMap } = await import('./map.js');
      const county = here ? (await get(`geo/locate?lat=${here.lat}&lng=${here.lng}`).catch(() => ({}))).county : null;
      await problemsMap(mapBox, { here, problems: page.items, countyCode: county && county.code,
        onPick: (p) => go(`#/problem/${p.id}`) }).catch((err) => toast(describe(err)));
    }
  });
}

// Photos are served with the same bearer header as the API: fetched as blobs, shown as blob: URLs.
function photoStrip(photos) {
  const strip = h('div', { class: 'thumbs', id: 'problem-photos' });
  if (!photos.length) return strip;
  for (const photo of photos) {
    const img = h('img', { alt: '问题照片' });
    strip.append(img);
    blob(photo.thumbnail_url || photo.url).then((data) => { img.src = URL.createObjectURL(data); }).catch(() => { img.alt = '照片（离线）'; });
  }
  return strip;
}

async function rememberClaim(problemId) {
  const user = currentUser();
  const key = userKey('claims', user.id);
  const claimed = (await kvGet(key)) || [];
  if (!claimed.includes(problemId)) await kvSet(key, [...claimed, problemId].slice(-50));
}

function messagesCard(problem) {
  const box = card(h('h3', {}, '留言'), h('p', { class: 'muted' }, '加载中…'));
  const body = h('textarea', { name: 'message', maxlength: 2000, required: true });
  const button = h('button', { type: 'submit', class: 'wide', id: 'message-submit' }, '发送留言');
  const form = h('form', {}, body, button);
  form.addEventListener('submit', busy(button, async () => {
    if (!body.value.trim()) return;
    await enqueue('message', { client_id: newClientId(), body: body.value.trim() }, { problem_id: problem.id, label: problem.title });
    body.value = '';
    await flush();
    await load();
  }));
  async function load() {
    try {
      const page = await get(`problems/${problem.id}/messages?limit=100`);
      const list = page.items || [];
      box.replaceChildren(h('h3', {}, '留言'), h('div', { id: 'messages' }, list.map((m) => h('div', { class: 'message' },
        h('div', { class: 'who' }, `${(m.author && m.author.name) || ''} ${when(m.created_at)}`), m.body))), form);
    } catch (err) {
      // 404: not on this server yet; 403: not (or no longer) one of the problem's people.
      if (err instanceof ApiError && [403, 404, 405].includes(err.status)) box.hidden = true;
      else if (err instanceof Offline) box.replaceChildren(h('h3', {}, '留言'), h('p', { class: 'muted' }, '离线：有网后显示'), form);
      else box.replaceChildren(h('h3', {}, '留言'), h('p', { class: 'muted' }, describe(err)));
    }
  }
  load();
  return box;
}

export async function problemScreen(view, id) {
  const user = currentUser();
  let p;
  try { p = await get(`problems/${id}`); } catch (err) {
    view.replaceChildren(h('h2', {}, '问题'), card(h('p', { class: 'error' }, describe(err)))); return;
  }
  const again = () => go(`#/problem/${id}`);
  const info = card(h('h2', { id: 'problem-title' }, p.title),
    h('p', {}, h('span', { class: 'tag', id: 'problem-status', dataset: { status: p.status } }, STATUS[p.status] || p.status),
      h('span', { class: `tag ${p.urgency}` }, URGENCY[p.urgency] || p.urgency), p.village_name || p.village_code),
    h('p', {}, p.description),
    p.deadline ? h('p', { class: 'muted' }, `期限：${p.deadline}`) : '',
    p.resolution_summary ? h('p', {}, `办结说明：${p.resolution_summary}`) : '',
    p.rating ? h('p', {}, `评价：${'★'.repeat(p.rating)}${p.rating_comment ? ` ${p.rating_comment}` : ''}`) : '',
    photoStrip(p.photos || []));
  view.replaceChildren(info);
  const claims = p.claims || [];
  if (user.role === 'commissioner') {
    const mine = claims.find((c) => (c.commissioner && c.commissioner.id === user.id)
      || (c.team && (c.team.members || []).some((m) => m.id === user.id)));
    if (p.status === 'open' && !mine) {
      const message = h('textarea', { name: 'claim-message', maxlength: 1000 });
      const asWho = h('select', { name: 'claim-as' }, h('option', { value: '' }, '我个人'));
      const asField = field('揭榜人', asWho);
      asField.hidden = true;
      const button = h('button', { class: 'wide', id: 'claim-submit' }, '揭榜');
      button.addEventListener('click', busy(button, async () => {
        const body = message.value.trim() ? { message: message.value.trim() } : {};
        if (asWho.value) body.team_id = Number(asWho.value);
        await call('POST', `problems/${id}/claims`, { json: body });
        await rememberClaim(p.id);
        toast('已揭榜，等待乡镇采纳');
        again();
      }));
      view.append(card(h('h3', {}, '揭榜'), asField, field('说明（可不填）', message), button));
      // The teams I belong to may claim too (a server without teams answers 404: the choice stays hidden).
      get(`teams?member=${user.id}`).then((page) => {
        const teams = (page && page.items) || [];
        asWho.append(...teams.map((t) => h('option', { value: t.id }, `团队：${t.name}`)));
        asField.hidden = !teams.length;
      }).catch(() => null);
    } else if (mine) {
      view.append(card(h('p', {}, '我的揭榜：', h('b', { id: 'my-claim-status' }, CLAIM[mine.status] || mine.status))));
    }
    if (p.status === 'in_progress' && mine && mine.status === 'accepted') {
      const summary = h('textarea', { name: 'summary', required: true, maxlength: 2000 });
      const button = h('button', { class: 'wide', id: 'resolve-submit' }, '提交办结');
      button.addEventListener('click', busy(button, async () => {
        if (!summary.value.trim()) { toast('请填写办结说明'); return; }
        await call('POST', `problems/${id}/resolve`, { json: { summary: summary.value.trim() } });
        toast('已提交办结，等待乡镇确认');
        again();
      }));
      view.append(card(h('h3', {}, '办结'), field('办结说明', summary), button));
    }
  } else {
    if (claims.length) {
      view.append(card(h('h3', {}, '揭榜情况'), h('ul', { class: 'list', id: 'claims' }, claims.map((c) => {
        const accept = h('button', { class: 'accept', dataset: { claim: c.id } }, '采纳');
        accept.addEventListener('click', busy(accept, async () => {
          await call('POST', `problems/${id}/claims/${c.id}/accept`);
          toast('已采纳');
          again();
        }));
        return h('li', {}, h('b', {}, (c.commissioner && c.commissioner.name) || (c.team && c.team.name) || ''),
          ` ${CLAIM[c.status] || c.status}`, c.message ? h('div', { class: 'muted' }, c.message) : '',
          p.status === 'open' && c.status === 'pending' ? accept : '');
      }))));
    } else if (p.status === 'open') view.append(card(h('p', { class: 'muted' }, '还没有人揭榜')));
    if (p.status === 'resolved') {
      let rating = 5;
      const stars = h('div', { class: 'stars' });
      const paint = () => [...stars.children].forEach((b, i) => b.classList.toggle('on', i < rating));
      for (let i = 1; i <= 5; i += 1) {
        const star = h('button', { type: 'button', dataset: { rating: i } }, `${i}★`);
        star.addEventListener('click', () => { rating = i; paint(); });
        stars.append(star);
      }
      paint();
      const comment = h('input', { name: 'comment', maxlength: 500 });
      const confirm = h('button', { class: 'wide', id: 'confirm-submit' }, '确认办结');
      confirm.addEventListener('click', busy(confirm, async () => {
        await call('POST', `problems/${id}/confirm`, { json: { rating, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) } });
        toast('已确认办结');
        again();
      }));
      const reason = h('input', { name: 'reason', maxlength: 500 });
      const reject = h('button', { class: 'danger wide', id: 'reject-submit' }, '退回重办');
      reject.addEventListener('click', busy(reject, async () => {
        if (!reason.value.trim()) { toast('请写明退回理由'); return; }
        try {
          await call('POST', `problems/${id}/reject`, { json: { reason: reason.value.trim() } });
          toast('已退回');
          again();
        } catch (err) {
          if (err instanceof ApiError && (err.status === 404 || err.status === 405)) toast('服务器尚未提供退回功能');
          else throw err;
        }
      }));
      view.append(card(h('h3', {}, '确认并评价'), stars, field('评价（可不填）', comment), confirm),
        card(h('h3', {}, '未解决？'), field('退回理由', reason), reject));
    }
  }
  // The conversation is for the problem's staff and its claimants (contract v1.1).
  const mine = claims.some((c) => (c.commissioner && c.commissioner.id === user.id)
    || (c.team && (c.team.members || []).some((m) => m.id === user.id)));
  if (user.role !== 'commissioner' || mine) view.append(messagesCard(p));
}

export async function noticesScreen(view) {
  const box = card(h('p', { class: 'muted' }, '加载中…'));
  const all = h('button', { class: 'secondary wide' }, '全部标为已读');
  all.addEventListener('click', busy(all, async () => { await call('POST', 'notifications/read-all'); await refreshUnread(); go('#/notices'); }));
  view.replaceChildren(h('h2', {}, '通知'), all, h('p'), box);
  try {
    const page = await get('notifications?limit=50');
    box.replaceChildren(page.items.length ? h('ul', { class: 'list', id: 'notices' }, page.items.map((n) => {
      const link = h('a', { href: n.payload && n.payload.problem_id ? `#/problem/${n.payload.problem_id}` : '#/notices' },
        n.read_at ? '' : h('span', { class: 'tag waiting' }, '未读'), describeNotification(n), h('div', { class: 'muted' }, when(n.created_at)));
      link.addEventListener('click', () => { if (!n.read_at) call('POST', `notifications/${n.id}/read`).then(refreshUnread).catch(() => null); });
      return h('li', {}, link);
    })) : h('p', { class: 'muted' }, '暂无通知'));
  } catch (err) { box.replaceChildren(h('p', { class: 'muted' }, err instanceof Offline ? '离线：有网后显示' : describe(err))); }
}

// The person's own items only; another person's waiting items on a shared phone are counted, not shown.
export async function queueScreen(view) {
  const list = await mine();
  const others = await othersWaiting();
  const send = h('button', { class: 'wide', id: 'queue-send' }, '立即发送');
  send.addEventListener('click', busy(send, async () => {
    const outcome = await flush();
    if (outcome && outcome.offline) toast('仍然没有网络，稍后自动重试');
    go('#/queue');
  }));
  const rows = list.slice().reverse().map((i) => {
    const state = i.state === 'waiting' ? (i.server_id ? 'sending' : 'waiting') : i.outcome || i.state;
    const label = i.state === 'waiting' && i.server_id ? `照片 ${i.photos_sent}/${i.photos.length}` : OUTCOME[state] || state;
    return h('li', { class: 'queue-item', dataset: { state: i.state, outcome: i.outcome || '', kind: i.kind } },
      h('span', { class: `tag ${state}` }, label), `${KINDS[i.kind].label}：${i.label || ''}`,
      h('div', { class: 'muted' }, new Date(i.created).toLocaleString('zh-CN', { hour12: false }),
        i.photos && i.photos.length ? `，照片 ${i.photos.length} 张` : ''),
      i.error ? h('div', { class: 'error' }, i.error) : '');
  });
  const waitingCount = list.filter((i) => i.state === 'waiting').length;
  view.replaceChildren(h('h2', {}, '待发送'),
    h('p', { class: 'muted', id: 'queue-summary' }, waitingCount ? `${waitingCount} 条等待发送；有网后自动发送，不会重复。` : '没有等待发送的记录。'),
    others ? h('p', { class: 'muted', id: 'queue-others' }, `另有 ${others} 条其他账号的记录等待发送，该账号登录后发送。`) : '',
    send, h('p'), card(rows.length ? h('ul', { class: 'list', id: 'queue' }, rows) : h('p', { class: 'muted' }, '这里会列出离线时保存的签到、培训和问题')));
}

// ---------- township staff ----------

export async function postScreen(view) {
  const user = currentUser();
  const villages = h('select', { name: 'village', required: true }, h('option', { value: '' }, '加载中…'));
  const title = h('input', { name: 'title', required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', required: true, maxlength: 5000 });
  const cats = categorySelect(await categories());
  const urgency = h('select', { name: 'urgency' }, Object.entries(URGENCY).map(([k, v]) => h('option', { value: k, selected: k === 'normal' }, v)));
  const deadline = h('input', { name: 'deadline', type: 'date' });
  const where = h('select', { name: 'where' }, h('option', { value: 'village' }, '用村的位置'), h('option', { value: 'phone' }, '用手机当前位置'));
  const photo = photoInput(true);
  const button = h('button', { type: 'submit', class: 'wide', id: 'post-submit' }, '发布');
  const result = h('p', { id: 'post-result' });
  const form = h('form', {}, field('村', villages), field('标题', title), field('问题描述', description), field('产业类别', cats),
    h('div', { class: 'row' }, field('紧急程度', urgency), field('期限', deadline)), field('位置', where),
    field('照片', photo.input), photo.thumbs, button, result);
  view.replaceChildren(h('h2', {}, '发布问题'), card(form));
  const list = user.area_code.length === 9 ? await villagesOf(user.area_code) : [];
  villages.replaceChildren(...list.map((v) => h('option', { value: v.code }, v.name)));
  form.addEventListener('submit', busy(button, async () => {
    const body = { client_id: newClientId(), title: title.value.trim(), description: description.value.trim(),
      category: cats.value, village_code: villages.value, urgency: urgency.value };
    if (deadline.value) body.deadline = deadline.value;
    if (where.value === 'phone') {
      const here = await position();
      Object.assign(body, { lat: here.lat, lng: here.lng });
    }
    const item = await enqueue('problem', body, { photos: await photo.blobs(), label: body.title });
    await flush();
    const fresh = (await items()).find((i) => i.client_id === item.client_id);
    if (fresh.state === 'invalid') { result.className = 'error'; result.textContent = `未能发布：${fresh.error}`; return; }
    if (!fresh.outcome) { result.className = 'ok'; result.textContent = '没有网络：问题已保存在手机上，有网后自动发布。'; return; }
    toast('已发布');
    go(`#/problem/${fresh.server_id}`);
  }));
}

export async function surveyScreen(view) {
  const user = currentUser();
  const villages = h('select', { name: 'village' });
  const where = h('p', { class: 'muted' }, '站在村委会（或村中心）处定位后保存。');
  const button = h('button', { class: 'wide', id: 'survey-submit' }, '定位并保存为村的位置');
  const result = h('p', { id: 'survey-result' });
  view.replaceChildren(h('h2', {}, '实测村位置'), card(field('村', villages), where, button, result));
  const list = user.area_code.length === 9 ? await villagesOf(user.area_code) : [];
  villages.replaceChildren(...list.map((v) => h('option', { value: v.code }, v.name)));
  button.addEventListener('click', busy(button, async () => {
    const here = await position();
    where.textContent = `位置：${here.lat.toFixed(5)}, ${here.lng.toFixed(5)}（精度约 ${here.accuracy} 米）`;
    const item = await enqueue('position', { client_id: newClientId(), lat: here.lat, lng: here.lng, accuracy_m: here.accuracy },
      { area_code: villages.value, label: villages.selectedOptions[0] ? villages.selectedOptions[0].textContent : villages.value });
    await flush();
    const fresh = (await items()).find((i) => i.client_id === item.client_id);
    result.className = fresh.state === 'invalid' ? 'error' : 'ok';
    result.textContent = fresh.state === 'invalid' ? fresh.error : fresh.outcome ? '已保存为实测位置' : '没有网络：已保存在手机上，有网后自动发送。';
  }));
}

export async function accountScreen(view) {
  const user = currentUser();
  const out = h('button', { class: 'danger wide', id: 'logout' }, '退出登录');
  out.addEventListener('click', busy(out, async () => {
    const waitingCount = (await mine()).filter((i) => i.state === 'waiting').length;
    if (waitingCount && !window.confirm(`还有 ${waitingCount} 条没有发送，退出后需要重新登录才能发送。确定退出？`)) return;
    await logout();
    go('#/login');
  }));
  view.replaceChildren(h('h2', {}, '我的'), card(h('p', {}, user.name), h('p', { class: 'muted' }, `${user.area_code}`)),
    h('a', { class: 'button secondary wide', href: '#/password' }, '修改密码'), h('p'), out);
}
