// A dependency-free SVG line chart of responses per second over time, one line per run, with
// the events (kill, scale out, scale in) drawn as labelled vertical lines.
export interface Series {
  label: string;
  color: string;
  /** responses per 100 ms bucket, from t = 0 */
  buckets: number[];
  /** this run's events, drawn in its colour */
  markers: Marker[];
}
export interface Marker {
  t: number; // seconds
  label: string;
}

export function timelineSvg(title: string, series: Series[]): string {
  const W = 900, H = 380, L = 70, R = 20, T = 40, B = 50;
  const n = Math.max(...series.map((s) => s.buckets.length));
  const rate = (b: number) => b * 10; // per 100 ms -> per second
  const peak = Math.max(1, ...series.flatMap((s) => s.buckets.map(rate))) * 1.1;
  const step = 10 ** Math.floor(Math.log10(peak / 5));
  const tick = [1, 2, 5, 10].map((m) => m * step).find((t) => peak / t <= 6) ?? 10 * step;
  const ymax = Math.ceil(peak / tick) * tick;
  const x = (i: number) => L + ((W - L - R) * i) / Math.max(1, n - 1);
  const y = (v: number) => T + (H - T - B) * (1 - v / ymax);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`);
  for (let v = 0; v <= ymax + 1e-9; v += tick) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  for (let s = 0; s <= n / 10; s += 2) out.push(`<text x="${x(s * 10)}" y="${H - B + 18}" text-anchor="middle">${s}s</text>`);
  out.push(`<text x="16" y="${T + (H - T - B) / 2}" transform="rotate(-90 16 ${T + (H - T - B) / 2})" text-anchor="middle">responses / s</text>`);
  series.forEach((s, k) => {
    for (const m of s.markers) {
      const mx = x(m.t * 10);
      out.push(`<line x1="${mx}" x2="${mx}" y1="${T}" y2="${H - B}" stroke="${s.color}" stroke-opacity="0.6" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${mx + 4}" y="${T + 12 + 14 * k}" fill="${s.color}">${m.label}</text>`);
    }
  });
  series.forEach((s, k) => {
    // Each line ends where its run ended.
    const pts = s.buckets.map((b, i) => `${x(i).toFixed(1)},${y(rate(b)).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    const ly = T + (H - T - B) - 14 - 16 * (series.length - 1 - k);
    out.push(`<rect x="${W - R - 300}" y="${ly - 4}" width="12" height="3" fill="${s.color}"/>`);
    out.push(`<text x="${W - R - 282}" y="${ly}">${s.label}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
