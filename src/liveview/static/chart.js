// The timeline chart of one VNF, in plain SVG (no charting library is installed yet; see
// docs/liveview.md): total pkt/s (solid, left scale), steered instances (dashed, right scale)
// and a vertical mark for every event (red: an instance lost, green: one added or back,
// purple: an LCM operation), so a kill or a scale shows where the traffic line moves.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export function eventClass(ev) {
  if (ev.kind === 'operation') return 'op';
  if (ev.kind === 'instance-removed' || / -> (dead|suspected)$/.test(ev.text) || ev.text.startsWith('store unreachable')) return 'bad';
  return 'good';
}

function fmt(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}

/** Draws `points` and `events` of the last `windowMs` before `now` into a new <svg>. */
export function timelineChart(points, events, now, windowMs) {
  const W = 800, H = 150, L = 44, R = 28, T = 8, B = 18;
  const svg = el('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'packets per second and steered instances over time' });
  const t0 = now - windowMs;
  const x = (t) => L + ((t - t0) / windowMs) * (W - L - R);
  const maxPps = Math.max(1, ...points.map((p) => p.rxPps));
  const maxInst = Math.max(1, ...points.map((p) => p.steered));
  const yP = (v) => H - B - (v / maxPps) * (H - T - B);
  const yI = (v) => H - B - (v / maxInst) * (H - T - B);
  svg.append(el('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
  svg.append(el('text', { x: 2, y: T + 8 }, `${fmt(maxPps)} pkt/s`));
  svg.append(el('text', { x: W - R + 4, y: T + 8 }, String(maxInst)));
  svg.append(el('text', { x: L, y: H - 4 }, `-${Math.round(windowMs / 1000)} s`));
  svg.append(el('text', { x: W - R - 20, y: H - 4 }, 'now'));
  const inWin = points.filter((p) => p.at >= t0);
  if (inWin.length > 1) {
    svg.append(el('polyline', { class: 'pps', points: inWin.map((p) => `${x(p.at).toFixed(1)},${yP(p.rxPps).toFixed(1)}`).join(' ') }));
    const steps = [];
    inWin.forEach((p, i) => {
      if (i > 0) steps.push(`${x(p.at).toFixed(1)},${yI(inWin[i - 1].steered).toFixed(1)}`);
      steps.push(`${x(p.at).toFixed(1)},${yI(p.steered).toFixed(1)}`);
    });
    svg.append(el('polyline', { class: 'steered', points: steps.join(' ') }));
  }
  for (const ev of events) {
    if (ev.at < t0) continue;
    const line = el('line', { class: `ev ${eventClass(ev)}`, x1: x(ev.at), y1: T, x2: x(ev.at), y2: H - B });
    line.append(el('title', {}, `${new Date(ev.at).toLocaleTimeString()} ${ev.text}`));
    svg.append(line);
  }
  return svg;
}
