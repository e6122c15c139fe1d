"""StatelessNF LCM operation user data for Tacker v2 (runs inside Tacker).

Why it exists: Tacker's default user data hands Heat a single parameter, 'nfv'. The store
VDU's TLS material (store_tls_ca, store_tls_cert, store_tls_key: PEM strings, see
docs/openstack.md "Store access parameters") are BaseHOT parameters of their own, so with the
default user data a Tacker-driven instantiate always runs the store on plain TCP. This class
does exactly what Tacker's default does and adds those three parameters.

Use it in the instantiate request (InstantiateVnfRequest.additionalParams):
  "lcm-operation-user-data": "./UserData/statelessnf_userdata.py",
  "lcm-operation-user-data-class": "StatelessNfUserData",
  "store_tls_ca": "-----BEGIN CERTIFICATE-----...", "store_tls_cert": "...", "store_tls_key": "..."

A flavour with a store VDU (dpdk-sriov) takes all three or none (none: plain TCP with the
generated passwords); a flavour whose store is external (small) takes store_tls_ca alone, the CA
its NFs verify a rediss:// store against. Refused, naming the field: some but not all three for
a store VDU, a value that is not a PEM block, a parameter the flavour's BaseHOT does not declare. Scale, heal and the other operations are Tacker's defaults: Heat
keeps the stack's existing parameters on those updates, so the store keeps its certificate.
Tacker runs this module with its own python3 (userdata_main.py), hence the tacker imports.
"""

from tacker.sol_refactored.common import common_script_utils
from tacker.sol_refactored.infra_drivers.openstack import userdata_default

TLS_PARAMS = ('store_tls_ca', 'store_tls_cert', 'store_tls_key')
PEM_BEGIN = {
    'store_tls_ca': '-----BEGIN CERTIFICATE-----',
    'store_tls_cert': '-----BEGIN CERTIFICATE-----',
    'store_tls_key': '-----BEGIN ',  # PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY
}


def _tls_parameters(req, inst, tmp_csar_dir):
    """The store_tls_* parameters to add to the stack ({}: none given)."""
    add = req.get('additionalParams') or {}
    given = [k for k in TLS_PARAMS if add.get(k)]
    if not given:
        return {}
    for k in given:
        v = add[k]
        if not isinstance(v, str) or not v.lstrip().startswith(PEM_BEGIN[k]):
            raise ValueError('additionalParams.%s: expected a PEM block starting with %s'
                             % (k, PEM_BEGIN[k]))
    vnfd = common_script_utils.get_vnfd(inst['vnfdId'], tmp_csar_dir)
    flavour_id = req['flavourId']
    declared = vnfd.get_base_hot(flavour_id)['template'].get('parameters') or {}
    takes = [k for k in TLS_PARAMS if k in declared]
    for k in given:
        if k not in takes:
            raise ValueError('additionalParams.%s: flavour %s does not take it (it takes %s)'
                             % (k, flavour_id, ', '.join(takes) or 'no store TLS parameter'))
    # A store VDU needs its certificate and key with the CA; a flavour whose store is external
    # takes the CA alone (the NFs verify that store against it).
    if len(takes) == len(TLS_PARAMS):
        missing = [k for k in TLS_PARAMS if k not in given]
        if missing:
            raise ValueError(
                'additionalParams.%s: missing (the store VDU needs %s together, '
                'or none of them for plain TCP)' % (missing[0], ', '.join(TLS_PARAMS)))
    return {k: add[k] for k in given}


class StatelessNfUserData(userdata_default.DefaultUserData):

    @staticmethod
    def instantiate(req, inst, grant_req, grant, tmp_csar_dir):
        # checked before the default's work, so a bad request fails with its own reason
        tls = _tls_parameters(req, inst, tmp_csar_dir)
        fields = userdata_default.DefaultUserData.instantiate(
            req, inst, grant_req, grant, tmp_csar_dir)
        fields['parameters'].update(tls)
        return fields
