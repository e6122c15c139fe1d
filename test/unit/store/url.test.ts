import { expect } from 'chai';
import { parseStoreUrl, parseStoreSeeds, redact } from '../../../src/store/url.js';

describe('store URL', () => {
  it('reads every form the product accepts', () => {
    expect(parseStoreUrl('10.0.0.1:6379')).to.deep.equal({ mode: 'auto', seeds: [{ host: '10.0.0.1', port: 6379 }] });
    expect(parseStoreUrl('[::1]:7000').seeds).to.deep.equal([{ host: '::1', port: 7000 }]);
    expect(parseStoreUrl('unix:/run/snf/x/redis.sock')).to.deep.equal({ mode: 'unix', seeds: [], path: '/run/snf/x/redis.sock' });
    expect(parseStoreUrl('redis://db')).to.deep.equal({ mode: 'auto', seeds: [{ host: 'db', port: 6379 }] });
    expect(parseStoreUrl('redis://s3cret@db:1')).to.include({ password: 's3cret' });
    expect(parseStoreUrl('redis://:p%40ss@db:1')).to.include({ password: 'p@ss' });
    expect(parseStoreUrl('redis://snf-dataplane-v:pw@db:1')).to.include({ username: 'snf-dataplane-v', password: 'pw' });
    expect(parseStoreUrl('redis://a:1,b:2,[::1]:3')).to.deep.equal({
      mode: 'cluster',
      seeds: [
        { host: 'a', port: 1 },
        { host: 'b', port: 2 },
        { host: '::1', port: 3 },
      ],
    });
    expect(parseStoreUrl('redis://a:1?cluster=yes').mode).to.equal('cluster');
    expect(parseStoreUrl('redis://a:1?cluster=no').mode).to.equal('single');
    expect(parseStoreUrl('rediss://a:1?ca=/etc/snf/ca.crt&servername=store.local')).to.deep.equal({
      mode: 'auto',
      seeds: [{ host: 'a', port: 1 }],
      tls: { caFile: '/etc/snf/ca.crt', servername: 'store.local' },
    });
    expect(parseStoreUrl('redis+sentinel://s1,s2:26380/snf-primary?sentinelPassword=x')).to.deep.equal({
      mode: 'sentinel',
      seeds: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      sentinel: { name: 'snf-primary', password: 'x' },
    });
    expect(parseStoreUrl('rediss+sentinel://u:p@s1:1/m').tls).to.deep.equal({});
    expect(parseStoreUrl('rediss://u:p@a:1?ca=/ca.pem&cert=/c.pem&key=/k.pem').tls).to.deep.equal({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
  });

  it('refuses bad URLs naming the part and the reason, without echoing the password', () => {
    const cases: [string, RegExp][] = [
      ['', /url: empty/],
      ['rediss://a:1?ca=/ca.pem&cert=/c.pem', /\?key: a client certificate needs both \?cert= and \?key=/],
      ['rediss://a:1?key=k.pem&cert=/c.pem', /\?key: must be an absolute path/],
      ['redis://a:1?cert=/c.pem&key=/k.pem', /\?cert: only meaningful with rediss:\/\//],
      ['localhost', /host: a port is required/],
      ['h:70000', /host: port must be 1\.\.65535/],
      ['http://h:1', /scheme: must be redis:\/\//],
      ['redis://a:1,,b:2', /host: empty host/],
      ['redis://a:1,b:x', /host\[1\]: expected host:port/],
      ['redis://a:1?clustr=yes', /\?clustr: unknown parameter/],
      ['redis://a:1?cluster=maybe', /\?cluster: must be yes, no or auto/],
      ['redis://a:1,b:2?cluster=no', /\?cluster: several hosts/],
      ['redis://a:1?ca=/x', /\?ca: only meaningful with rediss/],
      ['rediss://a:1?ca=rel/ca.pem', /\?ca: must be an absolute path/],
      ['redis+sentinel://s:1', /primary name: the path must name the primary/],
      ['redis+sentinel://s:1/m?cluster=yes', /\?cluster: a Sentinel-watched primary/],
      ['redis://a:1/m', /path: only a Sentinel URL has a path/],
      ['redis://a:1/3', /path: database numbers other than 0/],
      ['redis://a:1?sentinelPassword=x', /sentinelPassword: only meaningful/],
      ['unix:relative', /path: expected unix:\/absolute\/path/],
      ['redis://:top%ZZsecret@h:1', /password: bad percent-encoding/],
    ];
    for (const [input, re] of cases) {
      expect(() => parseStoreUrl(input), input).to.throw(re);
    }
    expect(() => parseStoreUrl('redis://:hunter2@h:1/m')).to.throw(/^(?!.*hunter2)/s);
    expect(redact('redis://u:hunter2@h:1')).to.equal('redis://u:***@h:1');
    expect(redact('redis+sentinel://s:1/m?sentinelPassword=hunter2')).to.equal('redis+sentinel://s:1/m?sentinelPassword=***');
  });

  it('merges a list of seeds into one cluster target with the same credentials', () => {
    expect(parseStoreSeeds(['a:1', 'b:2'])).to.deep.equal({ mode: 'auto', seeds: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }] });
    expect(parseStoreSeeds(['redis://:p@a:1?cluster=yes', 'redis://:p@b:2']).mode).to.equal('cluster');
    expect(() => parseStoreSeeds(['redis://:p@a:1', 'redis://:q@b:2'])).to.throw(/seeds\[1\]: every seed must use the same scheme and credentials/);
    expect(() => parseStoreSeeds(['unix:/x', 'a:1'])).to.throw(/seeds\[0\]: a list of seeds names cluster nodes/);
    expect(() => parseStoreSeeds([' '])).to.throw(/no seed nodes/);
  });
});
