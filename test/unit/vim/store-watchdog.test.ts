// The watchdog reads CLUSTER NODES to find a dead master's replica; its parser against the
// format Redis 7 prints (a replica, a failed master, a master with several slot ranges).
import { expect } from 'chai';
import { parseClusterNodes } from '../../../src/vim/local/store-watchdog.js';

const TEXT = [
  '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@40004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
  '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@40002 master,fail - 0 1426238316232 2 disconnected 5461-10922',
  'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460 10923-11000',
  '6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@40005 master - 0 1426238316232 5 connected',
  '',
].join('\n');

describe('store watchdog: CLUSTER NODES', () => {
  it('finds masters with slots, their replicas and failed nodes', () => {
    const n = parseClusterNodes(TEXT);
    expect(n.map((x) => x.port)).to.deep.equal([30004, 30002, 30001, 30005]);
    expect(n[0]).to.include({ master: false, of: 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca', slots: false, failed: false });
    expect(n[1]).to.include({ master: true, slots: true, failed: true });
    expect(n[1].of).to.equal(undefined);
    expect(n[2]).to.include({ master: true, slots: true, failed: false });
    expect(n[3]).to.include({ master: true, slots: false }, 'a master without slots has nothing to hand over');
  });
});
