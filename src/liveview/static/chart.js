// The timeline chart of one VNF, drawn by uPlot (served from node_modules, see handler.ts): total
// pkt/s (solid, left scale), steered instances (dashed steps, right scale), and an SVG layer on top
// with a vertical mark for every event (red: an instance lost, green: one added or back, purple:
// an LCM operation) so a kill or a scale shows where the traffic line moves, each with its text
// as a tooltip (a canvas cannot carry one).
import uPlot from './uplot.js';

const NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 170;

export function eventClass(ev) {
  if (ev.kind === 'operation') return 'op';
  if (ev.kind === 'instance-removed' || / -> (dead|suspected)$/.test(ev.text) || ev.text.startsWith('store unreachable')) return 'bad';
  return 'good';
}

function fmt(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}

// One chart per VNF, kept across renders: the page re-renders every second, and a new uPlot each
// time would lose the cursor and cost a layout.
const charts = new Map();

function drawEvents(u, c) {
  const svg = c.svg;
  svg.replaceChildren();
  const [t0, t1] = c.range;
  for (const ev of c.events) {
    const t = ev.at / 1000;
    if (t < t0 || t > t1) continue;
    const x = u.valToPos(t, 'x');
    const line = document.createElementNS(NS, 'line');
    for (const [k, v] of Object.entries({ class: `ev ${eventClass(ev)}`, x1: x, x2: x, y1: 0, y2: u.over.clientHeight })) line.setAttribute(k, String(v));
    const title = document.createElementNS(NS, 'title');
    title.textContent = `${new Date(ev.at).toLocaleTimeString()} ${ev.text}`;
    line.append(title);
    svg.append(line);
  }
}

function create(key, width) {
  const box = document.createElement('div');
  box.className = 'chart-box';
  const c = { box, events: [], range: [0, 1], svg: document.createElementNS(NS, 'svg') };
  c.svg.setAttribute('class', 'chart');
  c.svg.setAttribute('role', 'img');
  c.svg.setAttribute('aria-label', 'events on the timeline');
  const opts = {
    width,
    height: HEIGHT,
    scales: {
      x: { time: true, range: () => c.range },
      pps: { range: (u, min, max) => [0, Math.max(1, max)] },
      inst: { range: (u, min, max) => [0, Math.max(1, max)] },
    },
    series: [
      {},
      { label: 'pkt/s', scale: 'pps', stroke: '#2a5fa8', width: 1.5, value: (u, v) => (v == null ? '-' : fmt(v)) },
      { label: 'steered instances', scale: 'inst', stroke: '#1f7a3d', width: 1.5, dash: [4, 2], paths: uPlot.paths.stepped({ align: 1 }) },
    ],
    axes: [
      {},
      { scale: 'pps', values: (u, vals) => vals.map(fmt), size: 50 },
      { scale: 'inst', side: 1, grid: { show: false }, incrs: [1, 2, 5, 10, 20, 50], size: 30 },
    ],
    hooks: { draw: [(u) => drawEvents(u, c)] },
  };
  c.plot = new uPlot(opts, [[], [], []], box);
  c.plot.over.append(c.svg);
  charts.set(key, c);
  return c;
}

/** The chart element of VNF `key`, updated with `points` and `events` of the last `windowMs` before `now`. */
export function timelineChart(key, points, events, now, windowMs, width) {
  const c = charts.get(key) ?? create(key, width);
  if (Math.abs(c.plot.width - width) > 8) c.plot.setSize({ width, height: HEIGHT });
  c.range = [(now - windowMs) / 1000, now / 1000];
  c.events = events;
  const inWin = points.filter((p) => p.at >= now - windowMs);
  c.plot.setData([inWin.map((p) => p.at / 1000), inWin.map((p) => p.rxPps), inWin.map((p) => p.steered)]);
  return c.box;
}

/** Forgets the charts of VNFs no longer shown. */
export function keepCharts(keys) {
  for (const [k, c] of charts)
    if (!keys.has(k)) {
      c.plot.destroy();
      charts.delete(k);
    }
}
