"""Runs a CSAR's LCM operation user data the way Tacker v2's conductor does, for the tests.

Tacker (sol_refactored/infra_drivers/openstack/openstack.py, _make_hot) pickles
{request, vnf_instance, grant_request, grant_response, tmp_csar_dir, is_rollback}, runs
`python3 userdata_main.py` with it on stdin and unpickles the stack fields from stdout. This does
the same with Tacker's own userdata_main.py, taking the dict as JSON on stdin and printing the
fields as JSON (exit 1 with Tacker's stderr when the user data fails). Run with the venv's python.
"""
import json
import os
import pickle
import subprocess
import sys

from tacker.sol_refactored.infra_drivers.openstack import userdata_main


def main():
    script_dict = json.load(sys.stdin)
    script_dict.setdefault('is_rollback', False)
    out = subprocess.run(['python3', userdata_main.__file__], input=pickle.dumps(script_dict),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, PATH=os.path.dirname(sys.executable) + ':' + os.environ.get('PATH', '')))
    if out.returncode != 0:
        sys.stderr.write(out.stderr.decode('utf-8', 'replace'))
        sys.exit(1)
    json.dump(pickle.loads(out.stdout), sys.stdout)


if __name__ == '__main__':
    main()
