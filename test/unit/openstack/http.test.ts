// Bad answers and no answers: unreachable endpoints, hangs, 5xx, 409, malformed JSON. Every
// case ends with a clear typed error within a bounded time; only idempotent requests retry.
import { expect } from 'chai';
import { startFake, deadPort, type FakeServer } from '../../support/fakes/server.js';
import {
  HeatClient,
  Session,
  OpenStackConnectionError,
  OpenStackHttpError,
  OpenStackResponseError,
  OpenStackTimeoutError,
} from '../../../src/openstack/index.js';

const fast = { timeoutMs: 300, retries: 2, backoffMs: 20 };

describe('OpenStack HTTP failure handling', () => {
  let srv: FakeServer | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });

  it('reports an unreachable endpoint quickly as a connection error', async () => {
    const port = await deadPort();
    const heat = new HeatClient(Session.noauth({ orchestration: `http://127.0.0.1:${port}/v1/admin` }, fast));
    const t0 = Date.now();
    const err = await heat.listStacks().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackConnectionError);
    expect((err as Error).message).to.match(new RegExp(`orchestration: GET http://127.0.0.1:${port}/v1/admin/stacks: cannot connect: .*ECONNREFUSED`));
    expect(Date.now() - t0).to.be.below(2000);
  });

  it('times out a hanging GET, retries it, and gives up within the bound', async () => {
    srv = await startFake([{ method: 'GET', path: /stacks$/, handler: () => 'hang' }]);
    const heat = new HeatClient(Session.noauth({ orchestration: `${srv.url}/v1/admin` }, fast));
    const t0 = Date.now();
    const err = await heat.listStacks().catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).to.be.instanceOf(OpenStackTimeoutError);
    expect((err as Error).message).to.match(/no response within 300 ms/);
    expect(srv.requests).to.have.length(3);
    expect(elapsed).to.be.within(850, 2500);
  });

  it('never repeats a POST that timed out (it may have been applied)', async () => {
    srv = await startFake([{ method: 'POST', path: /stacks$/, handler: () => 'hang' }]);
    const heat = new HeatClient(Session.noauth({ orchestration: `${srv.url}/v1/admin` }, fast));
    const t0 = Date.now();
    const err = await heat.createStack({ stack_name: 's', template: { heat_template_version: '2018-08-31' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackTimeoutError);
    expect(srv.requests).to.have.length(1);
    expect(Date.now() - t0).to.be.below(1500);
  });

  it('retries a GET through 503 and honours Retry-After, but not a POST', async () => {
    let n = 0;
    srv = await startFake([
      {
        method: 'GET',
        path: /stacks$/,
        handler: () => (++n < 3 ? { status: 503, text: 'busy', headers: { 'retry-after': '0' } } : { status: 200, body: { stacks: [] } }),
      },
      { method: 'POST', path: /stacks$/, handler: () => ({ status: 503, body: { error: { message: 'engine busy', type: 'ServiceUnavailable' } } }) },
    ]);
    const heat = new HeatClient(Session.noauth({ orchestration: `${srv.url}/v1/admin` }, fast));
    expect(await heat.listStacks()).to.deep.equal([]);
    expect(n).to.equal(3);
    const err = await heat.createStack({ stack_name: 's', template: {} }).catch((e: unknown) => e);
    expect((err as OpenStackHttpError).status).to.equal(503);
    expect((err as Error).message).to.match(/ServiceUnavailable: engine busy/);
    expect(srv.requests.filter((r) => r.method === 'POST')).to.have.length(1);
  });

  it('gives a 409 from Heat with its type and message, without retrying', async () => {
    srv = await startFake([
      {
        method: 'PATCH',
        path: /stacks\/s\/1$/,
        handler: () => ({
          status: 409,
          body: { explanation: 'There was a conflict when trying to complete your request.', code: 409, error: { message: 'Stack s already has an action (UPDATE) in progress.', type: 'ActionInProgress', traceback: null }, title: 'Conflict' },
        }),
      },
    ]);
    const heat = new HeatClient(Session.noauth({ orchestration: `${srv.url}/v1/admin` }, fast));
    const err = await heat.patchStack({ name: 's', id: '1' }, { parameters: { n: 2 } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackHttpError);
    expect(err).to.include({ status: 409, errorType: 'ActionInProgress' });
    expect((err as OpenStackHttpError).requestId).to.match(/^req-/);
    expect(srv.requests).to.have.length(1);
  });

  it('rejects malformed JSON in a 200 answer with the start of the body', async () => {
    srv = await startFake([{ method: 'GET', path: /stacks$/, handler: () => ({ status: 200, text: '{"stacks": [', headers: { 'content-type': 'application/json' } }) }]);
    const heat = new HeatClient(Session.noauth({ orchestration: `${srv.url}/v1/admin` }, fast));
    const err = await heat.listStacks().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenStackResponseError);
    expect((err as Error).message).to.match(/unusable response \(200\): malformed JSON: "\{\\"stacks\\": \["/);
  });

  it('stops waiting for a stack that never finishes, within the operation bound', async () => {
    srv = await startFake([
      { method: 'GET', path: /stacks\/s\/1$/, handler: () => ({ status: 200, body: { stack: { id: '1', stack_name: 's', stack_status: 'UPDATE_IN_PROGRESS' } } }) },
      { method: 'GET', path: /stacks\/s\/1\/events$/, handler: () => ({ status: 200, body: { events: [] } }) },
    ]);
    const heat = new HeatClient(Session.noauth({ orchestration: `${srv.url}/v1/admin` }, fast));
    const t0 = Date.now();
    const err = await heat.waitFor({ name: 's', id: '1' }, 'UPDATE', { pollMs: 50, timeoutMs: 400 }).catch((e: unknown) => e);
    expect((err as Error).message).to.match(/stack s: TIMEOUT: UPDATE not finished after 400 ms \(last status UPDATE_IN_PROGRESS\)/);
    expect(Date.now() - t0).to.be.below(1500);
  });
});
