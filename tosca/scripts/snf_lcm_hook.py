#!/usr/bin/env python3
"""StatelessNF LCM hook shim for Tacker (Python 3, standard library only).

Tacker v2 runs this script for every Vnflcm hook wired to it in the VNFD
(instantiate_start, scale_end, ...): it passes a pickled dict on stdin
(operation, request, vnf_instance, grant_request, grant_response,
tmp_csar_dir) and reads a pickled dict from stdout. The shim holds no logic
of its own: it forwards the hook as JSON to the StatelessNF VNF manager
adapter, POST {adapter}/hooks/tacker/{hook_name}, and fails the LCM operation
when the adapter does not accept it.

Adapter URL, first found wins:
  1. request.additionalParams.snf_adapter_url (this operation's request)
  2. vnf_instance.metadata.snf_adapter_url (remembered from an earlier request, see below)
  3. vnf_instance.vnfConfigurableProperties.adapter_url
  4. environment SNF_ADAPTER_URL (of Tacker's conductor)
  5. the default baked in when the package was built
A URL taken from a request is remembered in the VNF instance: the shim returns
{"vnf_instance": <the instance with metadata.snf_adapter_url set>} and Tacker
v2 (sol_refactored vnflcm_driver_v2._exec_mgmt_driver_script) loads that into
the instance it saves at the end of the operation. So the URL given once with
instantiate also serves scale, heal and terminate, whose requests do not
carry it. (Only a successful operation is saved: a failed instantiate
remembers nothing, its retry carries the request again.)
Optional bearer token: additionalParams.snf_adapter_token or SNF_ADAPTER_TOKEN.
The token is never remembered: instance metadata is readable by every user of
Tacker's API; a later operation needs it in its request or in the environment.
A JSON document on stdin is accepted too (for manual runs and tests); the hook
name may then be given as the first argument.
"""
import json
import os
import pickle
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_ADAPTER_URL = "__SNF_DEFAULT_ADAPTER_URL__"
# where the adapter URL of a VNF instance is remembered: vnf_instance.metadata[META_KEY]
META_KEY = "snf_adapter_url"
HOOK_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz_")


def read_input(raw):
    """Returns (payload dict, was_pickled)."""
    stripped = raw.lstrip()
    if stripped[:1] == b"{":
        return json.loads(stripped.decode("utf-8")), False
    if not raw:
        return {}, False
    # Only Tacker, which runs this script, writes this stream.
    return pickle.loads(raw), True


def first(*values):
    for v in values:
        if isinstance(v, str) and v:
            return v
    return None


def as_dict(v):
    return v if isinstance(v, dict) else {}


def adapter_url(payload):
    """Returns (url, token, from_request)."""
    params = as_dict(as_dict(payload.get("request")).get("additionalParams"))
    inst = as_dict(payload.get("vnf_instance"))
    remembered = as_dict(inst.get("metadata")).get(META_KEY)
    conf = as_dict(inst.get("vnfConfigurableProperties"))
    baked = DEFAULT_ADAPTER_URL if not DEFAULT_ADAPTER_URL.startswith("__") else None
    requested = first(params.get("snf_adapter_url"))
    url = first(requested, remembered, conf.get("adapter_url"),
                os.environ.get("SNF_ADAPTER_URL"), baked)
    if not url:
        raise SystemExit("snf_lcm_hook: no adapter URL (additionalParams.snf_adapter_url or SNF_ADAPTER_URL)")
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SystemExit("snf_lcm_hook: adapter URL must be http(s)://host[:port][/path], got %r" % url)
    url = url.rstrip("/")
    token = first(params.get("snf_adapter_token"), os.environ.get("SNF_ADAPTER_TOKEN"))
    return url, token, requested is not None


def remember(inst, url):
    """The instance as Tacker gave it, with the adapter URL in its metadata; None when it is
    there already (nothing to change) or there is no instance to update."""
    if not inst or not inst.get("id"):
        return None
    meta = as_dict(inst.get("metadata"))
    if meta.get(META_KEY) == url:
        return None
    updated = dict(inst)
    updated["metadata"] = dict(meta, **{META_KEY: url})
    return updated


def post(url, token, body, timeout, attempts):
    data = json.dumps(body, default=str, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    last = None
    for attempt in range(attempts):
        req = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                text = resp.read().decode("utf-8") or "{}"
                try:
                    result = json.loads(text)
                except ValueError:
                    result = {"response": text}
                return result if isinstance(result, dict) else {"response": result}
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")[:2000]
            # The adapter answered: a refusal is final, retrying would not change it.
            raise SystemExit("snf_lcm_hook: %s -> HTTP %d: %s" % (url, err.code, detail))
        except (urllib.error.URLError, OSError) as err:
            last = err
            time.sleep(min(2 ** attempt, 10))
    raise SystemExit("snf_lcm_hook: %s unreachable after %d attempts: %s" % (url, attempts, last))


def main(argv):
    payload, pickled = read_input(sys.stdin.buffer.read())
    hook = payload.get("operation") or (argv[1] if len(argv) > 1 else "")
    if not hook or not set(hook) <= HOOK_NAME_CHARS:
        raise SystemExit("snf_lcm_hook: missing or invalid hook name %r" % hook)
    base, token, from_request = adapter_url(payload)
    inst = as_dict(payload.get("vnf_instance"))
    body = {
        "hook": hook,
        "vnfInstanceId": inst.get("id"),
        "request": payload.get("request"),
        "vnfInstance": inst,
        "grantRequest": payload.get("grant_request"),
        "grantResponse": payload.get("grant_response"),
    }
    timeout = float(os.environ.get("SNF_HOOK_TIMEOUT_S", "300"))
    attempts = int(os.environ.get("SNF_HOOK_ATTEMPTS", "3"))
    result = post("%s/hooks/tacker/%s" % (base, hook), token, body, timeout, attempts)
    # Tacker replaces the VNF instance with result["vnf_instance"] when present: that key is the
    # shim's, never the adapter's.
    result.pop("vnf_instance", None)
    updated = remember(inst, base) if from_request else None
    if updated is not None:
        result["vnf_instance"] = updated
    if pickled:
        sys.stdout.buffer.write(pickle.dumps(result))
    else:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
