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
  1. request.additionalParams.snf_adapter_url (per VNF instance)
  2. vnf_instance.vnfConfigurableProperties.adapter_url
  3. environment SNF_ADAPTER_URL
  4. the default baked in when the package was built
Optional bearer token: additionalParams.snf_adapter_token or SNF_ADAPTER_TOKEN.
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


def adapter_url(payload):
    request = payload.get("request") or {}
    params = request.get("additionalParams") or {}
    inst = payload.get("vnf_instance") or {}
    conf = inst.get("vnfConfigurableProperties") or {}
    baked = DEFAULT_ADAPTER_URL if not DEFAULT_ADAPTER_URL.startswith("__") else None
    url = first(params.get("snf_adapter_url"), conf.get("adapter_url"),
                os.environ.get("SNF_ADAPTER_URL"), baked)
    if not url:
        raise SystemExit("snf_lcm_hook: no adapter URL (additionalParams.snf_adapter_url or SNF_ADAPTER_URL)")
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SystemExit("snf_lcm_hook: adapter URL must be http(s)://host[:port][/path], got %r" % url)
    return url.rstrip("/"), first(params.get("snf_adapter_token"), os.environ.get("SNF_ADAPTER_TOKEN"))


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
    base, token = adapter_url(payload)
    inst = payload.get("vnf_instance") or {}
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
    if pickled:
        sys.stdout.buffer.write(pickle.dumps(result))
    else:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
