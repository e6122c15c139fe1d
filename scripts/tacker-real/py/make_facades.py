"""Generate Heat provider-template facades (same interface, one OS::Heat::TestResource) for the
resource types Nova/Neutron would provide, from the running Heat, and a global environment that maps
the real type names to them (Heat's environment_dir; file:// is allowed there). Port of the project's
test/support/openstack-sandbox.ts facadeFiles(). Restart Heat afterwards.
usage: make_facades.py HEAT_URL OUTDIR ENVDIR"""
import json, sys, urllib.parse, urllib.request
import os; heat, outdir, envdir = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
TYPES = ['OS::Nova::Server', 'OS::Nova::Flavor', 'OS::Neutron::Port', 'OS::Neutron::Net',
         'OS::Neutron::Subnet', 'OS::Nova::ServerGroup', 'OS::Nova::KeyPair',
         'OS::Cinder::Volume', 'OS::Cinder::VolumeAttachment']
DEF = {'number': 0, 'boolean': False, 'json': {}, 'comma_delimited_list': []}
FAKE_ADDR = {'yaql': {'expression':
    "let(d => $.data.id.toCharArray().where($ in '0123456789'.toCharArray()).take(6).join('') + '000000') -> "
    "format('10.{0}.{1}.{2}', int($d.substring(0, 2)), int($d.substring(2, 2)), int($d.substring(4, 2)) + 1)",
    'data': {'id': {'get_param': 'OS::stack_id'}}}}
def out(t, attr, params):
    name = {'get_param': 'name'} if 'name' in params else {'get_attr': ['snf_facade', 'output']}
    if attr == 'first_address': return FAKE_ADDR
    if attr == 'name': return name
    if attr in ('networks', 'addresses'):
        inner = '[$addr]' if attr == 'networks' else '[dict(addr => $addr, version => 4)]'
        return {'yaql': {'expression': "let(addr => $.data.addr) -> dict($.data.nets.where($.split('=')[0].endsWith('.network') or "
                 "$.split('=')[0].endsWith('.port')).select([$.split('=', 1)[1], %s]))" % inner,
                 'data': {'nets': {'get_param': 'networks'} if 'networks' in params else [], 'addr': FAKE_ADDR}}}
    if attr == 'fixed_ips': return [{'ip_address': FAKE_ADDR, 'subnet_id': 'fake-subnet'}]
    if attr == 'mac_address': return 'fa:16:3e:00:00:01'
    if attr == 'show': return {'id': {'get_resource': 'snf_facade'}, 'type': t, 'name': name}
    return {'get_attr': ['snf_facade', 'output']}
reg = {}
for t in TYPES:
    g = json.load(urllib.request.urlopen('%s/resource_types/%s/template?template_type=hot' % (heat, urllib.parse.quote(t))))
    params = {n: dict({'type': p['type'], 'default': p.get('default', DEF.get(p['type'], ''))},
                      **({'description': p['description']} if p.get('description') else {}))
              for n, p in (g.get('parameters') or {}).items()}
    outputs = {a: {'value': out(t, a, params)} for a in (g.get('outputs') or {}) if a != 'OS::stack_id'}
    if t == 'OS::Nova::Server': outputs.setdefault('first_address', {'value': FAKE_ADDR})
    tpl = {'heat_template_version': '2018-08-31', 'description': 'facade of %s (no backing service)' % t,
           'parameters': params, 'resources': {'snf_facade': {'type': 'OS::Heat::TestResource',
           'properties': {'value': 'facade of %s' % t}}}, 'outputs': outputs}
    f = '%s/facade-%s.yaml' % (outdir, t.replace('::', '-').lower())
    json.dump(tpl, open(f, 'w'), indent=1); reg[t] = 'file://' + f
json.dump({'resource_registry': reg}, open(envdir + '/facades.yaml', 'w'), indent=1)
print(json.dumps(reg, indent=1))
