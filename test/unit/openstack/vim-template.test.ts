// What the OpenStack VIM reads from a HOT template: aspects, size parameters, and where the
// instantiation request's values go (Tacker v2 `nfv` paths or flat parameters).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildParameters, discoverAspects, findAspect, parseHot, sizeParameters } from '../../../src/vim/openstack/template.js';
import { VimRequestError, type InstantiateRequest } from '../../../src/vim/types.js';

const v2 = parseHot(`
heat_template_version: 2018-08-31
parameters:
  nfv: {type: json}
resources:
  nf_scale_group:
    type: OS::Heat::AutoScalingGroup
    metadata: {aspect: workers}
    properties:
      min_size: 1
      max_size: 3
      desired_capacity: {get_param: [nfv, VDU, nf, desired_capacity]}
      resource:
        type: nf.yaml
        properties:
          image: {get_param: [nfv, VDU, nf, vcImageId]}
          net: {get_param: [nfv, CP, nf_cp, network]}
  grow: {type: OS::Heat::ScalingPolicy, properties: {adjustment_type: change_in_capacity, auto_scaling_group_id: {get_resource: nf_scale_group}, scaling_adjustment: 2}}
`);
const req = (r: Partial<InstantiateRequest>): InstantiateRequest => ({ name: 'x', flavourId: 'f', artifacts: {}, ...r });

describe('OpenStack VIM template reading', () => {
  it('finds aspects by metadata, policy prefix or group name, with bounds and policies', () => {
    const [a] = discoverAspects(v2);
    expect(a).to.deep.include({ id: 'workers', group: 'nf_scale_group', vdu: 'nf', sizeParam: ['nfv', 'VDU', 'nf', 'desired_capacity'], min: 1, max: 3 });
    expect(a.scaleOut?.resource).to.equal('grow');
    expect(a.scaleIn).to.equal(undefined);
    const fixture = parseHot(readFileSync('test/fixtures/openstack/vnf.yaml', 'utf8'));
    const [f] = discoverAspects(fixture);
    expect(f).to.deep.include({ id: 'worker', group: 'VDU1_scale_group', sizeParam: ['vdu_count'], min: 0, max: 5 });
    expect(findAspect([f], 'VDU1').id).to.equal('worker');
    expect(findAspect([f], 'VDU1_scale_group').id).to.equal('worker');
    expect(() => findAspect([f], 'nope')).to.throw(VimRequestError, /unknown aspect "nope" \(aspects: worker\)/);
  });

  it('puts size, image and networks into nfv where the template reads them', () => {
    const p = buildParameters(v2, req({ aspectSizes: { workers: 2 }, vdus: { nf: { image: 'img' } }, extVirtualLinks: [{ cpdIds: ['nf_cp'], resourceId: 'net-a' }] }), discoverAspects(v2));
    expect(p).to.deep.equal({ nfv: { VDU: { nf: { desired_capacity: 2, vcImageId: 'img' } }, CP: { nf_cp: { network: 'net-a' } } } });
  });

  it('rejects sizes outside the group bounds and connection points the template does not read', () => {
    expect(() => buildParameters(v2, req({ aspectSizes: { workers: 4 } }), discoverAspects(v2))).to.throw(VimRequestError, /size 4 outside \[1, 3\]/);
    const fixture = parseHot(readFileSync('test/fixtures/openstack/vnf.yaml', 'utf8'));
    expect(() => buildParameters(fixture, req({ extVirtualLinks: [{ cpdIds: ['nowhere'], resourceId: 'n' }] }), discoverAspects(fixture))).to.throw(/no parameter for connection point "nowhere"/);
    expect(() => parseHot('heat_template_version: [')).to.throw(VimRequestError, /not valid YAML/);
  });

  it("puts the grant's zone, flavour and image where the template reads them, and keeps the running nfv on an update", () => {
    const p = buildParameters(v2, req({ zone: 'az1', vdus: { nf: { flavor: 'm1.big', zone: 'az2' } } }), discoverAspects(v2), { VDU: { nf: { desired_capacity: 3 } } });
    expect(p).to.deep.equal({ nfv: { VDU: { nf: { desired_capacity: 3, computeFlavourId: 'm1.big', locationConstraints: 'az2' } } } });
    const fixture = parseHot(readFileSync('test/fixtures/openstack/vnf.yaml', 'utf8'));
    expect(buildParameters(fixture, req({ zone: 'az1', vdus: { VDU1: { flavor: 'f', image: 'i' } } }), discoverAspects(fixture))).to.deep.equal({ zone: 'az1', flavor: 'f', image: 'i' });
  });

  it('changes only the size inside a json parameter', () => {
    const current = { nfv: JSON.stringify({ VDU: { nf: { desired_capacity: 1, vcImageId: 'i' } }, CP: { a: { network: 'n' } } }), other: 'x' };
    expect(sizeParameters(['nfv', 'VDU', 'nf', 'desired_capacity'], 3, current)).to.deep.equal({
      nfv: { VDU: { nf: { desired_capacity: 3, vcImageId: 'i' } }, CP: { a: { network: 'n' } } },
    });
    expect(sizeParameters(['vdu_count'], 2, current)).to.deep.equal({ vdu_count: 2 });
  });
});
