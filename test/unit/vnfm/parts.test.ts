// Pure parts of the VNFM: SOL013 filters, JSON merge patch, vimConnectionInfo dialects,
// subscription matching, issued tokens, schema quirks of the bundled SOL003 document.
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { matchFilter, parseFilter } from '../../../src/vnfm/filter.js';
import { mergePatch, normalizeVimConnections } from '../../../src/vnfm/lcm.js';
import { matches } from '../../../src/vnfm/notify.js';
import { Authenticator } from '../../../src/vnfm/auth.js';
import { ApiError, toProblem } from '../../../src/vnfm/problem.js';
import { productSchemas } from '../../../src/vnfm/schema.js';
import { placementOf } from '../../../src/vnfm/grant.js';
import { mergeLinks, parseOperate } from '../../../src/vnfm/requests.js';
import type { Subscription } from '../../../src/vnfm/types.js';

const req = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;

describe('VNFM parts', () => {
  it('parses and applies SOL013 attribute filters', () => {
    const vnf = { id: '1', vnfInstanceName: 'fw,a', instantiationState: 'INSTANTIATED', instantiatedVnfInfo: { scaleStatus: [{ aspectId: 'worker', scaleLevel: 2 }] } };
    expect(matchFilter(parseFilter("(eq,vnfInstanceName,'fw,a')"), vnf)).to.equal(true);
    expect(matchFilter(parseFilter('(in,instantiationState,NOT_INSTANTIATED,INSTANTIATED);(gte,instantiatedVnfInfo/scaleStatus/scaleLevel,2)'), vnf)).to.equal(true);
    expect(matchFilter(parseFilter('(gt,instantiatedVnfInfo/scaleStatus/scaleLevel,2)'), vnf)).to.equal(false);
    expect(matchFilter(parseFilter('(neq,vnfInstanceDescription,x)'), vnf)).to.equal(true);
    expect(matchFilter(parseFilter('(cont,vnfInstanceName,fw)'), vnf)).to.equal(true);
    for (const bad of ['eq,a,b', '(eq,a)', '(regex,a,b)', "(eq,a,'b)", '(eq,a b,c)']) {
      expect(() => parseFilter(bad), bad).to.throw(ApiError).with.property('status', 400);
    }
  });

  it("reads a grant's zones and VIM assets as per-VDU placement, ignoring what names nothing", () => {
    expect(
      placementOf({
        id: 'g',
        zones: [{ id: 'z1', zoneId: 'az-a' }, { id: 'z2', zoneId: 'az-b' }],
        addResources: [{ resourceDefinitionId: 'VDU2', zoneId: 'z2' }, { resourceDefinitionId: 'VDU3', zoneId: 'nowhere' }],
        vimAssets: { computeResourceFlavours: [{ vnfdVirtualComputeDescId: 'VDU1', vimFlavourId: 'm1' }, { vimFlavourId: 'orphan' }], softwareImages: [{ vnfdSoftwareImageId: 'VDU1', vimSoftwareImageId: 'img' }] },
      }),
    ).to.deep.equal({ zone: 'az-a', vdus: { VDU1: { flavor: 'm1', image: 'img' }, VDU2: { zone: 'az-b' } } });
    expect(placementOf({ id: 'g' })).to.deep.equal({});
    expect(placementOf({ id: 'g', vimAssets: { computeResourceFlavours: [{ vnfdVirtualComputeDescId: '__proto__', vimFlavourId: 'x' }] } }).vdus?.['__proto__']).to.deep.equal({ flavor: 'x' });
  });

  it("checks Operate VNF's attribute rules and merges changed links by id and CPD", () => {
    expect(parseOperate({ changeStateTo: 'STOPPED' })).to.deep.equal({ changeStateTo: 'STOPPED', stopType: 'FORCEFUL' });
    expect(() => parseOperate({ changeStateTo: 'STOPPED', stopType: 'FORCEFUL', gracefulStopTimeout: 3 })).to.throw(/^gracefulStopTimeout: shall be absent/);
    expect(() => parseOperate({ changeStateTo: 'STOPPED', stopType: 'GRACEFUL', gracefulStopTimeout: -1 })).to.throw(/^gracefulStopTimeout: must be an integer/);
    const cur = [{ id: 'a', resourceId: 'n1', extCps: [{ cpdId: 'mgmt' }, { cpdId: 'data' }] }];
    expect(mergeLinks(cur, [{ id: 'b', resourceId: 'n2', extCps: [{ cpdId: 'data' }] }])).to.deep.equal([
      { id: 'a', resourceId: 'n1', extCps: [{ cpdId: 'mgmt' }] },
      { id: 'b', resourceId: 'n2', extCps: [{ cpdId: 'data' }] },
    ]);
  });

  it('merges patches as RFC 7396 says and reads both vimConnectionInfo shapes', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] })).to.deep.equal({ a: 1, b: { d: 3, e: 4 }, f: [1] });
    expect(mergePatch({ a: 1 }, 'x')).to.equal('x');
    expect(normalizeVimConnections([{ id: 'v1', vimType: 'openstack' }, { vimType: 'local' }])).to.deep.equal({ v1: { vimType: 'openstack' }, vim1: { vimType: 'local' } });
    expect(normalizeVimConnections({ v1: { vimType: 'openstack' } })).to.deep.equal({ v1: { vimType: 'openstack' } });
    expect(normalizeVimConnections(undefined)).to.equal(undefined);
  });

  it('matches notifications to subscription filters', () => {
    const sub: Subscription = {
      id: 's',
      callbackUri: 'http://x',
      verbosity: 'FULL',
      filter: { notificationTypes: ['VnfLcmOperationOccurrenceNotification'], operationTypes: ['SCALE'], operationStates: ['COMPLETED'], vnfInstanceSubscriptionFilter: { vnfInstanceIds: ['v1'] } },
    };
    const e = { notificationType: 'VnfLcmOperationOccurrenceNotification' as const, vnfInstanceId: 'v1', vnfdId: 'd', operation: 'SCALE' as const, operationState: 'COMPLETED' as const };
    expect(matches(sub, e)).to.equal(true);
    expect(matches(sub, { ...e, operationState: 'STARTING' })).to.equal(false);
    expect(matches(sub, { ...e, operation: 'HEAL' })).to.equal(false);
    expect(matches(sub, { ...e, vnfInstanceId: 'v2' })).to.equal(false);
    expect(matches(sub, { notificationType: 'VnfIdentifierCreationNotification', vnfInstanceId: 'v1', vnfdId: 'd' })).to.equal(false);
    expect(matches({ ...sub, filter: undefined }, { ...e, vnfInstanceId: 'v9' })).to.equal(true);
  });

  it('issues tokens it alone accepts, until they expire', () => {
    const a = new Authenticator({ oauth2Clients: { c: 's' }, basic: { u: 'p:w' }, staticTokens: ['hook-token'], tokenTtlS: 60 });
    const t = a.issue('c').access_token;
    expect(() => a.check(req(`Bearer ${t}`))).to.not.throw();
    expect(() => a.check(req('Bearer hook-token'))).to.not.throw();
    expect(() => a.check(req(`Basic ${Buffer.from('u:p:w').toString('base64')}`))).to.not.throw();
    expect(() => a.check(req(`Bearer ${t}x`))).to.throw(ApiError);
    expect(() => new Authenticator({ oauth2Clients: { c: 's' } }).check(req(`Bearer ${t}`))).to.throw(ApiError); // another key
    const old = a.issue('c', Date.now() - 120_000).access_token;
    expect(() => a.check(req(`Bearer ${old}`))).to.throw(ApiError).with.property('status', 401);
    expect(() => a.check(req())).to.throw(ApiError).with.property('headers').that.has.property('www-authenticate');
    expect(() => new Authenticator(undefined).check(req())).to.not.throw();
    const bad = a.token(req(), new URLSearchParams('grant_type=client_credentials&client_id=c&client_secret=nope'));
    expect(bad.status).to.equal(401);
    expect(a.token(req(), new URLSearchParams('grant_type=password')).status).to.equal(400);
    expect(a.token(req(), new URLSearchParams('grant_type=client_credentials&client_id=c&client_secret=s')).status).to.equal(200);
  });

  it('renders any error as a ProblemDetails', () => {
    expect(toProblem(new ApiError(409, 'busy'), '/x')).to.deep.equal({ title: 'Conflict', status: 409, detail: 'busy', instance: '/x' });
    expect(toProblem(new Error('boom'))).to.deep.include({ status: 500, detail: 'boom' });
  });

  it('validates against the copied schemas, including the bundle quirks it works around', function () {
    this.timeout(60_000);
    const s = productSchemas();
    expect(s.v2.request('POST', '/vnf_instances/{vnfInstanceId}/scale', { type: 'SCALE_OUT', aspectId: 'a' })).to.deep.equal([]);
    expect(s.v2.request('POST', '/vnf_instances/{vnfInstanceId}/scale', { type: 'OUT', aspectId: 'a' })[0]).to.match(/allowed values/);
    const op = { id: 'o', operationState: 'COMPLETED', stateEnteredTime: '2026-01-01T00:00:00Z', startTime: '2026-01-01T00:00:00Z', vnfInstanceId: 'v', operation: 'SCALE', isAutomaticInvocation: false, isCancelPending: false, _links: { self: { href: 'x' }, vnfInstance: { href: 'y' } } };
    // exactly one of changedInfo / modificationsTriggeredByVnfPkgChange
    expect(s.v2.response('GET', '/vnf_lcm_op_occs/{vnfLcmOpOccId}', 200, op)).to.not.deep.equal([]);
    expect(s.v2.response('GET', '/vnf_lcm_op_occs/{vnfLcmOpOccId}', 200, { ...op, changedInfo: {} })).to.deep.equal([]);
    // the list is an array of them, whatever the bundle says
    expect(s.v2.response('GET', '/vnf_lcm_op_occs', 200, [{ ...op, changedInfo: {} }])).to.deep.equal([]);
    expect(s.v2.response('GET', '/vnf_lcm_op_occs', 200, [op])[0]).to.match(/^response\/0/);
    expect(s.v2.response('POST', '/vnf_instances/{vnfInstanceId}/heal', 409, { status: 409, detail: 'x' })).to.deep.equal([]);
    expect(s.v2.response('POST', '/vnf_instances/{vnfInstanceId}/heal', 409, { status: 409 })).to.not.deep.equal([]);
    expect(s.v2.response('POST', '/vnf_instances/{vnfInstanceId}/heal', 299, undefined)[0]).to.match(/not a response/);
  });
});
