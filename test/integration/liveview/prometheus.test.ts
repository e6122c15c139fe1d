// The Prometheus side of the live view, checked by Prometheus' own tools (Debian's prometheus
// package: promtool): the alert rules parse and behave (promtool test rules), the example
// scrape config is valid, every PromQL expression of the Grafana dashboard parses, and every
// metric the rules and the dashboard name is one an instance or the live view exports. The
// Alertmanager config is parsed as YAML and its routes checked against the rules' labels and
// the VNF manager's webhooks: amtool is not packaged for this test (Debian ships it in
// prometheus-alertmanager, which would run a daemon).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { renderMetrics, parseMetrics } from '../../../src/dataplane/metrics.js';
import { renderViewMetrics } from '../../../src/liveview/prometheus.js';
import type { Snapshot } from '../../../src/liveview/model.js';
import { ROOT } from '../../support/netns.js';

const PROM = join(ROOT, 'examples/prometheus');
const GRAFANA = join(ROOT, 'examples/grafana/statelessnf.json');

function promtool(args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool: ${r.error.message} (scripts/deps/liveview.txt lists the prometheus package)`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Every metric family an instance (with a cache and packet I/O) and the live view (served by a VNFM) export. */
function exportedNames(): Set<string> {
  const instance = renderMetrics({
    vnf: 'fw1',
    instance: 'i1',
    heartbeats: 1,
    heartbeatFailures: 0,
    heartbeatMs: 1,
    tablesGeneration: 1,
    startedAt: Date.now(),
    ioKind: 'afpacket',
    counters: {
      rx: 1,
      tx: 1,
      dropped: 1,
      batches: 1,
      drops: { fw_rule_deny: 1 },
      nf: { firewall: { packets: 1, forwarded: 1, dropped: 0, newFlows: 1 } },
      store: { roundTrips: 1, commands: 1, errors: 0, reconnects: 0, moduleFallbacks: 0, latencyUs: [1, 0], latencyBucketsUs: [100, 200] },
      cache: { hits: 3, misses: 1, invalidations: 0, flushes: 0, evictions: 0, bytes: 10, entries: 1 },
      io: { inside: { rx: 1, tx: 1, rxDropped: 0, txErrors: 0 }, outside: { rx: 1, tx: 1, rxDropped: 0, txErrors: 0 }, bursts: 1 },
    },
  });
  const snap: Snapshot = {
    at: Date.now(),
    source: 'vnfm',
    vnfs: [
      {
        vnf: 'fw1',
        vnfInstanceId: '0f2d7c1e-5b1a-4a57-9d2e-6c1a9b7e3f10',
        chain: ['firewall'],
        instances: [{ id: 'i1', state: 'steered', dropsPerS: {}, drops: {} }],
        steering: ['i1'],
        store: { up: true, pingMs: 0.2, flows: { fw: 3 } },
      },
    ],
    timeline: [],
    points: [],
  };
  return new Set([...parseMetrics(instance), ...parseMetrics(renderViewMetrics(snap))].map((s) => s.name));
}

function metricNames(expr: string): string[] {
  // identifiers followed by a selector, a range or nothing, minus PromQL's functions and keywords
  const words = expr.replace(/"[^"]*"/g, '""').match(/\bsnf_[a-z0-9_]+/g) ?? [];
  return [...new Set(words)];
}

describe('Prometheus alert rules and the Grafana dashboard', function () {
  this.timeout(60_000);
  let tmp: string;

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'snf-liveview-prom-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('promtool checks the alert rules and runs their unit tests (auto_heal on a lost instance, auto_scale on load, store down)', () => {
    const check = promtool(['check', 'rules', 'statelessnf-alerts.yml'], PROM);
    expect(check.code, check.out).to.equal(0);
    expect(check.out).to.match(/SUCCESS: 6 rules found/);
    const t = promtool(['test', 'rules', 'statelessnf-alerts.test.yml'], PROM);
    expect(t.code, t.out).to.equal(0);
  });

  it('the example prometheus.yml is a valid config with the rules loaded and labels honoured', () => {
    copyFileSync(join(PROM, 'statelessnf-alerts.yml'), join(tmp, 'statelessnf-alerts.yml'));
    writeFileSync(join(tmp, 'token'), 'test-token\n');
    const cfg = readFileSync(join(PROM, 'prometheus.yml'), 'utf8').replaceAll('/etc/prometheus/snf-vnfm.token', join(tmp, 'token'));
    writeFileSync(join(tmp, 'prometheus.yml'), cfg);
    const r = promtool(['check', 'config', 'prometheus.yml'], tmp);
    expect(r.code, r.out).to.equal(0);
    const doc = yaml.load(cfg) as { scrape_configs: Array<{ honor_labels?: boolean; metrics_path?: string }> };
    expect(doc.scrape_configs.every((s) => s.honor_labels === true), 'the metrics carry their own instance label').to.equal(true);
    expect(doc.scrape_configs.map((s) => s.metrics_path)).to.include('/view/metrics');
  });

  it('every PromQL expression of the Grafana dashboard parses, and names only exported metrics', () => {
    const dash = JSON.parse(readFileSync(GRAFANA, 'utf8')) as {
      uid: string;
      panels: Array<{ id: number; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: Array<{ expr: string; refId: string }> }>;
      annotations: { list: Array<{ expr?: string }> };
      templating: { list: Array<{ name: string }> };
    };
    expect(dash.uid).to.equal('statelessnf');
    expect(dash.templating.list.map((v) => v.name)).to.include.members(['datasource', 'vnf']);
    expect(new Set(dash.panels.map((p) => p.id)).size, 'panel ids are unique').to.equal(dash.panels.length);
    for (const p of dash.panels) expect(p.gridPos.x + p.gridPos.w, `${p.title} fits the 24-column grid`).to.be.at.most(24);
    const exprs = [...dash.panels.flatMap((p) => p.targets.map((t) => ({ where: `${p.title}/${t.refId}`, expr: t.expr }))), ...dash.annotations.list.filter((a) => a.expr).map((a) => ({ where: 'annotation', expr: a.expr! }))];
    expect(exprs.length).to.be.greaterThan(10);
    // Grafana's variables, as Grafana substitutes them, so Prometheus' parser sees real PromQL
    const concrete = (e: string) => e.replaceAll('$__rate_interval', '1m').replaceAll('$vnf', '.*');
    const rules = { groups: [{ name: 'grafana', rules: exprs.map((x, i) => ({ record: `grafana:panel_${i}`, expr: concrete(x.expr) })) }] };
    writeFileSync(join(tmp, 'grafana-exprs.yml'), yaml.dump(rules));
    const r = promtool(['check', 'rules', 'grafana-exprs.yml'], tmp);
    expect(r.code, `${r.out}\n${exprs.map((x, i) => `panel_${i}: ${x.where}`).join('\n')}`).to.equal(0);
    const known = exportedNames();
    const alertExprs = (yaml.load(readFileSync(join(PROM, 'statelessnf-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> }).groups.flatMap((g) => g.rules.map((x) => x.expr));
    for (const e of [...exprs.map((x) => x.expr), ...alertExprs]) for (const n of metricNames(e)) expect(known.has(n), `${n} (in ${e.slice(0, 80)}...) is exported by an instance or the live view`).to.equal(true);
  });

  it("Alertmanager routes auto_heal / auto_scale alerts to the VNF manager's Tacker-compatible webhooks", () => {
    const am = yaml.load(readFileSync(join(PROM, 'alertmanager.yml'), 'utf8')) as {
      route: { receiver: string; routes: Array<{ receiver: string; matchers: string[] }> };
      receivers: Array<{ name: string; webhook_configs?: Array<{ url: string }> }>;
    };
    const rules = (yaml.load(readFileSync(join(PROM, 'statelessnf-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; labels: Record<string, string> }> }> }).groups.flatMap((g) => g.rules);
    const byName = new Map(am.receivers.map((r) => [r.name, r]));
    expect(byName.has(am.route.receiver)).to.equal(true);
    // the webhook paths the VNFM serves (src/vnfm/server.ts) and Tacker's Prometheus plugin uses
    const vnfmRoutes = readFileSync(join(ROOT, 'src/vnfm/server.ts'), 'utf8');
    for (const rule of rules.filter((x) => x.labels.function_type)) {
      const route = am.route.routes.find((r) =>
        r.matchers.every((m) => {
          const [, k, v] = /^(\w+)="([^"]*)"$/.exec(m) ?? [];
          return rule.labels[k] === v;
        }),
      );
      expect(route, `a route for ${rule.alert}`).to.not.equal(undefined);
      const urls = (byName.get(route!.receiver)?.webhook_configs ?? []).map((w) => new URL(w.url).pathname);
      const want = rule.labels.function_type === 'auto_heal' ? '/alert/auto_healing' : '/alert/auto_scaling';
      expect(urls, rule.alert).to.deep.equal([want]);
      expect(vnfmRoutes).to.include(`'${want}'`);
    }
  });
});
