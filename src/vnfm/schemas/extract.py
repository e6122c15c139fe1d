#!/usr/bin/env python3
"""Copies the parts of the shared specs the VNFM serves and validates against into this folder,
so the product does not read ../shared at runtime. Run from the repository root:
  python3 src/vnfm/schemas/extract.py /work/shared/specs
"""
import json, sys, os, shutil
specs = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
src = json.load(open(os.path.join(specs, 'etsi-sol003', 'sol003_lifecycle_openapi.json')))
keep = ['/api_versions', '/vnf_instances', '/vnf_instances/{vnfInstanceId}',
        '/vnf_instances/{vnfInstanceId}/instantiate', '/vnf_instances/{vnfInstanceId}/scale',
        '/vnf_instances/{vnfInstanceId}/scale_to_level', '/vnf_instances/{vnfInstanceId}/terminate',
        '/vnf_instances/{vnfInstanceId}/heal', '/vnf_instances/{vnfInstanceId}/operate',
        '/vnf_instances/{vnfInstanceId}/change_flavour', '/vnf_instances/{vnfInstanceId}/change_ext_conn',
        '/vnf_lcm_op_occs', '/vnf_lcm_op_occs/{vnfLcmOpOccId}',
        '/vnf_lcm_op_occs/{vnfLcmOpOccId}/retry', '/vnf_lcm_op_occs/{vnfLcmOpOccId}/rollback',
        '/vnf_lcm_op_occs/{vnfLcmOpOccId}/fail', '/vnf_lcm_op_occs/{vnfLcmOpOccId}/cancel',
        '/subscriptions', '/subscriptions/{subscriptionId}']
paths = {p: src['paths'][p] for p in keep}
used = set()
def walk(x):
    if isinstance(x, dict):
        r = x.get('$ref')
        if isinstance(r, str) and r.startswith('#/components/'):
            used.add(tuple(r.split('/')[2:4]))
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(paths)
comps = {}
for kind, name in sorted(used):
    comps.setdefault(kind, {})[name] = src['components'][kind][name]
out = {'openapi': src['openapi'], 'info': src['info'],
       'servers': [{'url': '/vnflcm/v2'}], 'paths': paths, 'components': comps}
json.dump(out, open(os.path.join(here, 'sol003-vnflcm.json'), 'w'), separators=(',', ':'))
shutil.copy(os.path.join(specs, 'onap-so-sol003', 'SOL003-VNFLifecycleManagement-API.json'), os.path.join(here, 'onap-so-vnflcm-v1.json'))
shutil.copy(os.path.join(specs, 'onap-so-sol003', 'SOL003-VNFLifecycleManagementNotification-API.json'), os.path.join(here, 'onap-so-lcn.json'))
shutil.copy(os.path.join(specs, 'onap-so-sol003', 'SOL003-VNFLifecycleOperationGranting-API.json'), os.path.join(here, 'onap-so-grant.json'))
shutil.copy(os.path.join(specs, 'onap-ves', 'ves-CommonEventFormat_30.2.1_ONAP.json'), os.path.join(here, '..', '..', 'onap', 'schemas', 'CommonEventFormat_30.2.1_ONAP.json'))
