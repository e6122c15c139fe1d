// The live view page: reads the server-sent event stream with fetch (so the Authorization header
// goes with it, which EventSource cannot send) and renders each snapshot. Everything from the
// server is set as text, never parsed as HTML.
import { eventClass, keepCharts, timelineChart } from './chart.js';

const AUTH_KEY = 'snf-live-view-auth';
const WINDOW_MS = 120_000;
const $ = (id) => document.getElementById(id);

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

const num = (v, digits = 0) => (v === undefined || v === null ? '-' : Number(v).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const pct = (v) => (v === undefined ? '-' : `${(v * 100).toFixed(1)} %`);
const us = (v) => (v === undefined ? '-' : v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} ms` : `${Math.round(v)} us`);
const age = (ms) => (ms === undefined ? 'not registered' : ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`);
const time = (t) => new Date(t).toLocaleTimeString('en-GB');

function setConn(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
}

// A token in the address's fragment (never sent to the server) is taken once and removed.
(function takeFragmentToken() {
  const m = /^#token=(.+)$/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(AUTH_KEY, `Bearer ${decodeURIComponent(m[1])}`);
  history.replaceState(null, '', location.pathname);
})();

$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = $('token').value.trim();
  const user = $('user').value;
  if (token) sessionStorage.setItem(AUTH_KEY, `Bearer ${token}`);
  else if (user) sessionStorage.setItem(AUTH_KEY, `Basic ${btoa(`${user}:${$('password').value}`)}`);
  else {
    $('signin-error').textContent = 'enter a token, or a user and password';
    return;
  }
  $('signin').hidden = true;
  connect();
});

function renderInstance(i, storeUp) {
  const drops = Object.entries(i.dropsPerS).sort((a, b) => b[1] - a[1]);
  const total = Object.values(i.drops).reduce((a, b) => a + b, 0);
  return h(
    'tr',
    { 'data-instance': i.id, 'data-state': i.state },
    h('td', {}, i.id),
    h('td', {}, h('span', { class: `state ${i.state}` }, i.state)),
    h('td', {}, storeUp ? age(i.heartbeatAgeMs) : 'unknown (store down)'),
    h('td', { class: 'num' }, num(i.rxPps)),
    h('td', { class: 'num' }, num(i.txPps)),
    h('td', { class: 'drops' }, drops.length ? drops.map(([r, n]) => `${r} ${num(n, 1)}/s`).join(', ') : total ? `none now (${num(total)} since start)` : '-'),
    h('td', { class: 'num' }, pct(i.cacheHitRatio)),
    h('td', { class: 'num' }, `${us(i.rttP50Us)} / ${us(i.rttP99Us)}`),
  );
}

function renderVnf(v, snap) {
  const flows = Object.entries(v.store.flows);
  const facts = h(
    'div',
    { class: 'facts' },
    h('span', { class: v.store.up ? '' : 'down', 'data-store': v.store.up ? 'up' : 'down' }, 'store ', h('b', {}, v.store.up ? `up, PING ${num(v.store.pingMs, 2)} ms` : `DOWN: ${v.store.error ?? 'no answer'}`)),
    h('span', { 'data-flows': '' }, 'live flows ', h('b', {}, flows.length ? flows.map(([k, n]) => `${k} ${num(n)}`).join(', ') : 'none')),
    h('span', {}, 'cache hit ', h('b', {}, pct(v.cacheHitRatio))),
    h('span', { class: 'chips', 'data-steering': v.steering.join(',') }, 'steering ', ...(v.steering.length ? v.steering.map((id) => h('span', {}, id)) : [h('b', {}, 'nothing steered')])),
  );
  const table = h(
    'table',
    { class: 'instances' },
    h('thead', {}, h('tr', {}, ...['Instance', 'State', 'Heartbeat', 'RX pkt/s', 'TX pkt/s', 'Drops by reason', 'Cache hit', 'Store RTT p50 / p99'].map((t) => h('th', {}, t)))),
    h('tbody', {}, ...v.instances.map((i) => renderInstance(i, v.store.up))),
  );
  const events = snap.timeline.filter((e) => e.vnf === v.vnf || e.vnf === v.vnfInstanceId);
  return h(
    'article',
    { class: 'vnf', 'data-vnf': v.vnf },
    h('h3', {}, `${v.vnf}${v.chain.length ? `: ${v.chain.join(' -> ')}` : ''}`, v.vnfInstanceId ? h('small', {}, `  VNF instance ${v.vnfInstanceId}`) : null),
    facts,
    table,
    timelineChart(
      v.vnf,
      snap.points.filter((p) => p.vnf === v.vnf),
      events,
      snap.at,
      WINDOW_MS,
      Math.max(320, $('vnfs').clientWidth - 32),
    ),
  );
}

function render(snap) {
  $('clock').textContent = time(snap.at);
  $('source').textContent = snap.source === 'vnfm' ? 'served by the VNF manager' : 'local deployment';
  $('vnfs').replaceChildren(...(snap.vnfs.length ? snap.vnfs.map((v) => renderVnf(v, snap)) : [h('p', {}, 'No instantiated VNF.')]));
  keepCharts(new Set(snap.vnfs.map((v) => v.vnf)));
  $('events').replaceChildren(
    ...[...snap.timeline].reverse().map((e) => h('li', { class: eventClass(e), 'data-kind': e.kind, 'data-subject': e.subject }, h('time', {}, time(e.at)), e.text)),
  );
  const lcm = snap.operations !== undefined;
  $('lcm').hidden = !lcm;
  if (!lcm) return;
  $('ops').tBodies[0].replaceChildren(
    ...snap.operations.map((o) =>
      h('tr', { 'data-op': o.id, 'data-state': o.state }, h('td', {}, o.startTime), h('td', {}, o.vnfInstanceId), h('td', {}, `${o.operation}${o.automatic ? ' (auto)' : ''}`), h('td', {}, o.state), h('td', {}, o.stateEnteredTime), h('td', {}, o.error ?? '')),
    ),
  );
  $('notes').tBodies[0].replaceChildren(
    ...snap.notifications.map((n) => h('tr', {}, h('td', {}, n.notificationId), h('td', {}, n.subscriptionId), h('td', { class: 'num' }, n.attempts), h('td', {}, n.delivered ? 'yes' : 'no'), h('td', {}, n.error ?? ''))),
  );
}

let retryTimer;
async function connect() {
  clearTimeout(retryTimer);
  const auth = sessionStorage.getItem(AUTH_KEY);
  setConn('connecting', 'connecting');
  let res;
  try {
    res = await fetch('api/events', { headers: auth ? { authorization: auth } : {}, cache: 'no-store' });
  } catch (e) {
    return retry(`no connection (${e.message})`);
  }
  if (res.status === 401) {
    sessionStorage.removeItem(AUTH_KEY);
    setConn('signin', 'sign in required');
    $('signin').hidden = false;
    if (auth) $('signin-error').textContent = 'those credentials were refused';
    return;
  }
  if (!res.ok || !res.body) return retry(`HTTP ${res.status}`);
  setConn('live', 'live');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const lines = block.split('\n');
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (event === 'snapshot' && data) render(JSON.parse(data));
      }
    }
  } catch (e) {
    return retry(`stream broke (${e.message})`);
  }
  retry('stream ended');
}

function retry(why) {
  setConn('error', `${why}; reconnecting`);
  retryTimer = setTimeout(connect, 2000);
}

connect();
