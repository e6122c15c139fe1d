# After `keystone-manage bootstrap`: the service project, Tacker's service user, and the catalog
# entries Tacker needs (nfv-orchestration for itself, orchestration for Heat). Plain REST with
# keystoneauth (the openstack CLI would take ~2 s per call).
# usage: /usr/bin/python3 keystone_objects.py KEYSTONE_URL ADMIN_PASSWORD TACKER_URL HEAT_URL
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3

ks_url, admin_pw, tacker_url, heat_url = sys.argv[1:5]
s = session.Session(auth=v3.Password(auth_url=ks_url + "/v3", username="admin", password=admin_pw,
                                     project_name="admin", user_domain_name="Default",
                                     project_domain_name="Default"))
# absolute URLs: the catalog's identity endpoint is unversioned (see setup.sh)
V3 = ks_url + "/v3"


def post(path, key, body):
    return s.post(V3 + path, json={key: body}, raise_exc=True).json()[key]


def one(path, key, name):
    found = s.get(V3 + path, params={"name": name}, raise_exc=True).json()[key]
    return found[0] if found else None


project = one("/projects", "projects", "service") or post(
    "/projects", "project", {"name": "service", "domain_id": "default"})
user = one("/users", "users", "tacker") or post(
    "/users", "user", {"name": "tacker", "domain_id": "default", "password": "tackerpw"})
admin_role = one("/roles", "roles", "admin")
s.put(V3 + "/projects/%s/users/%s/roles/%s" % (project["id"], user["id"], admin_role["id"]), raise_exc=True)
owner = one("/roles", "roles", "heat_stack_owner") or post("/roles", "role", {"name": "heat_stack_owner"})
admin_project = one("/projects", "projects", "admin")
admin_user = one("/users", "users", "admin")
s.put(V3 + "/projects/%s/users/%s/roles/%s" % (admin_project["id"], admin_user["id"], owner["id"]), raise_exc=True)
for name, stype, url in (("tacker", "nfv-orchestration", tacker_url), ("heat", "orchestration", heat_url)):
    svc = s.get(V3 + "/services", params={"type": stype}, raise_exc=True).json()["services"]
    svc = svc[0] if svc else post("/services", "service", {"name": name, "type": stype})
    have = {e["interface"] for e in s.get(V3 + "/endpoints", params={"service_id": svc["id"]}, raise_exc=True).json()["endpoints"]}
    for iface in ("public", "internal", "admin"):
        if iface not in have:
            post("/endpoints", "endpoint", {"service_id": svc["id"], "interface": iface, "url": url,
                                            "region_id": "RegionOne"})
print("keystone: service project %s, tacker user %s, catalog has nfv-orchestration and orchestration"
      % (project["id"], user["id"]))
