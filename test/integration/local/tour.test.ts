// The README's main job (`npm run demo` = `snf tour`) must keep showing what it says.
import { expect } from 'chai';
import { runTour } from '../../../src/demo/tour.js';
import { forceCleanup, namespacesOf, RUN_ROOT, uniqueName } from '../../support/netns.js';

describe('snf tour (the main job)', function () {
  this.timeout(240_000);
  it('stateless keeps every connection through kill -9 and scaling; the baseline does not', async () => {
    expect(process.getuid?.(), 'the tour builds network namespaces: run the suite as root').to.equal(0);
    const lines: string[] = [];
    // Names of this test process, so a tour a developer runs meanwhile does not collide.
    const names = { stateless: uniqueName(), baseline: uniqueName(), runRoot: RUN_ROOT };
    let r: Awaited<ReturnType<typeof runTour>>;
    try {
      r = await runTour((l) => lines.push(l), 40, names);
      expect(namespacesOf(names.stateless).concat(namespacesOf(names.baseline)), 'the tour tears down what it built').to.deep.equal([]);
    } finally {
      forceCleanup(names.stateless);
      forceCleanup(names.baseline);
    }
    expect(r.stateless.connected).to.equal(40);
    expect(r.stateless.resets, lines.join('\n')).to.equal(0);
    expect(r.stateless.stalledOver1s, lines.join('\n')).to.equal(0);
    expect(r.baseline.resets + r.baseline.stalledOver1s, 'the killed instance took its connections with it').to.be.greaterThan(0);
  });
});
