#!/usr/bin/env python3
"""Record what a real Glance answers to uploads of each test disk image.

Builds the files of ``tests/support/disk_images.py`` (qemu-img on PATH),
uploads each one to a real Glance (``PUT /v2/images/{id}/file``) under its own
``disk_format`` and under wrong ones, and writes the observations to a JSON
file (default ``tests/data/glance33_inspection.json``).

Nothing in the test suite runs this: it is how the expectations were recorded.
Usage (credentials as for the openstack CLI, or a ready token)::

    eval "$(path/to/harness/stack.sh env producer)"
    python -m tests.record_glance_inspection \
        --glance-url http://127.0.0.1:9292 \
        --store-dir  "$GM_HARNESS_HOME/state/glance/images" \
        --glance-conf "$GM_HARNESS_HOME/etc/glance/glance-api.conf" \
        --glance-python "$GM_HARNESS_HOME/venv-glance/bin/python"

``--token``/``OS_TOKEN`` skips Keystone; otherwise ``OS_AUTH_URL``,
``OS_USERNAME``, ``OS_PASSWORD``, ``OS_PROJECT_NAME``,
``OS_USER_DOMAIN_NAME`` and ``OS_PROJECT_DOMAIN_NAME`` are used.
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import configparser
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from tests.support import disk_images

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "data", "glance33_inspection.json")

DISK_FORMATS = ["raw", "qcow2", "vmdk", "vhd", "vhdx", "iso", "vdi", "ami",
                "aki", "ari", "ploop"]

# The format each file would honestly be declared as (None: no honest one).
OWN_FORMAT = {
    "raw": "raw", "qcow2": "qcow2", "qcow2_backing_file": "qcow2",
    "qcow2_data_file": "qcow2", "qcow2_v2": "qcow2",
    "vmdk_monolithic_sparse": "vmdk", "vmdk_stream_optimized": "vmdk",
    "vmdk_two_gb_max_extent_sparse": "vmdk", "vmdk_monolithic_flat": "vmdk",
    "vmdk_descriptor_abs_path": "vmdk", "vhd": "vhd", "vhdx": "vhdx",
    "vdi": "vdi", "iso": "iso", "iso_hybrid_gpt": "iso",
    "iso_hybrid_mbr": "iso", "gpt": "raw", "mbr": "raw",
    "qcow2_truncated_16": "qcow2", "qcow2_truncated_300": "qcow2",
    "vmdk_truncated_16": "vmdk", "vmdk_truncated_400": "vmdk",
    "vhdx_truncated_8": "vhdx", "vhdx_truncated_300": "vhdx",
    "qcow2_corrupt_header": "qcow2", "qcow2_unknown_feature": "qcow2",
    "qcow2_huge_virtual_size": "qcow2", "vmdk_descriptor_huge_text": "vmdk",
    "vmdk_descriptor_huge_size_field": "vmdk", "zero_bytes": None,
}

# Non-bare container formats: (file, disk_format) pairs tried with each.
CONTAINER_FORMATS = ["ovf", "ova", "ami", "aki", "ari", "docker",
                     "compressed"]
CONTAINER_CASES = [("qcow2", "qcow2"), ("qcow2_backing_file", "qcow2"),
                   ("qcow2_backing_file", "raw"),
                   ("vmdk_descriptor_abs_path", "vmdk"), ("iso", "raw")]


class Http:
    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")
        self.token = token

    def request(self, method, path, body=None, headers=None):
        h = {"X-Auth-Token": self.token, "Accept": "application/json"}
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers=h)
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method, path, obj=None, ctype="application/json"):
        body = None if obj is None else json.dumps(obj).encode()
        code, headers, data = self.request(method, path, body,
                                           {"Content-Type": ctype})
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode("utf-8", "replace")
        return code, parsed


def keystone_token() -> str:
    env = os.environ
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
            "domain": {"name": env.get("OS_USER_DOMAIN_NAME", "Default")}}}},
        "scope": {"project": {
            "name": env["OS_PROJECT_NAME"],
            "domain": {"name": env.get("OS_PROJECT_DOMAIN_NAME",
                                       "Default")}}}}}
    req = urllib.request.Request(
        env["OS_AUTH_URL"].rstrip("/") + "/auth/tokens",
        data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.headers["X-Subject-Token"]


def store_listing(store_dir: str | None, image_id: str):
    if not store_dir:
        return None
    return sorted(
        {"name": n, "size": os.path.getsize(os.path.join(store_dir, n))}
        for n in os.listdir(store_dir) if image_id in n
    ) if os.path.isdir(store_dir) else None


def decode_body(headers: dict, data: bytes):
    text = data.decode("utf-8", "replace")
    ctype = next((v for k, v in headers.items()
                  if k.lower() == "content-type"), None)
    if ctype and "json" in ctype:
        try:
            return ctype, json.loads(text)
        except ValueError:
            pass
    return ctype, text


def run_case(http: Http, store_dir, name, path, disk_format, container_format):
    case = {"file": name, "disk_format": disk_format,
            "container_format": container_format,
            "file_size": os.path.getsize(path)}
    code, img = http.json("POST", "/v2/images", {
        "name": f"inspect-{name}-{disk_format}-{container_format}",
        "disk_format": disk_format, "container_format": container_format})
    if code != 201:
        case["create"] = {"code": code, "body": img}
        return case
    image_id = img["id"]
    with open(path, "rb") as f:
        data = f.read()
    t0 = time.monotonic()
    code, headers, body = http.request(
        "PUT", f"/v2/images/{image_id}/file", data,
        {"Content-Type": "application/octet-stream"})
    ctype, parsed = decode_body(headers, body)
    case["upload"] = {"code": code, "content_type": ctype, "body": parsed,
                      "seconds": round(time.monotonic() - t0, 3)}
    _, img = http.json("GET", f"/v2/images/{image_id}")
    case["image"] = {k: img.get(k) for k in (
        "status", "size", "virtual_size", "checksum", "os_hash_algo",
        "os_hash_value")}
    case["store_files"] = store_listing(store_dir, image_id)
    dcode, _ = http.json("DELETE", f"/v2/images/{image_id}")
    case["delete_code"] = dcode
    if store_dir:
        case["store_files_after_delete"] = store_listing(store_dir, image_id)
    return case


def refusal_then_reupload(http: Http, store_dir, files):
    """Upload a refused file, then try a good one on the same image."""
    out = {}
    code, img = http.json("POST", "/v2/images", {
        "name": "inspect-reupload", "disk_format": "qcow2",
        "container_format": "bare"})
    image_id = img["id"]
    steps = []
    for name in ("qcow2_backing_file", "qcow2"):
        with open(files[name], "rb") as f:
            data = f.read()
        code, headers, body = http.request(
            "PUT", f"/v2/images/{image_id}/file", data,
            {"Content-Type": "application/octet-stream"})
        ctype, parsed = decode_body(headers, body)
        _, img = http.json("GET", f"/v2/images/{image_id}")
        steps.append({"file": name, "code": code, "content_type": ctype,
                      "body": parsed,
                      "image": {k: img.get(k) for k in (
                          "status", "size", "virtual_size", "checksum")},
                      "store_files": store_listing(store_dir, image_id)})
    out["steps"] = steps
    out["delete_code"] = http.json("DELETE", f"/v2/images/{image_id}")[0]
    out["store_files_after_delete"] = store_listing(store_dir, image_id)
    return out


def glance_options(conf: str | None, python: str | None):
    out = {}
    if python:
        code = r"""
import json, importlib.metadata as md
from glance.common import config
opts = {o.name: o.default for o in config.image_format_opts}
print(json.dumps({"defaults": opts,
                  "glance": md.version("glance"),
                  "oslo.utils": md.version("oslo.utils"),
                  "glance_store": md.version("glance_store"),
                  "oslo.utils_required": [r for r in md.requires("glance")
                                          if r.lower().startswith("oslo.utils")
                                          or r.lower().startswith(
                                              "oslo-utils")]
                  }))
"""
        res = subprocess.run([python, "-c", code], capture_output=True,
                             text=True, check=True)
        out.update(json.loads(res.stdout.strip().splitlines()[-1]))
    if conf:
        cp = configparser.RawConfigParser(strict=False)
        cp.read(conf)
        out["configured_image_format"] = (dict(cp["image_format"])
                                          if cp.has_section("image_format")
                                          else {})
        eff = dict(out.get("defaults", {}))
        for k, v in out["configured_image_format"].items():
            eff[k] = v
        out["effective"] = eff
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--glance-url", default=os.environ.get(
        "OS_IMAGE_URL", "http://127.0.0.1:9292"))
    ap.add_argument("--token", default=os.environ.get("OS_TOKEN"))
    ap.add_argument("--store-dir", help="Glance's filesystem store directory")
    ap.add_argument("--glance-conf",
                    help="glance-api.conf, for [image_format]")
    ap.add_argument("--glance-python",
                    help="python of Glance's venv, for versions and defaults")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", help="comma-separated file names to run")
    args = ap.parse_args(argv)

    token = args.token or keystone_token()
    http = Http(args.glance_url, token)
    code, _ = http.json("GET", "/v2/images?limit=1")
    if code != 200:
        sys.exit(f"cannot list images at {args.glance_url}: HTTP {code}")

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = disk_images.build(tmp)
        qemu = subprocess.run(["qemu-img", "--version"], capture_output=True,
                              text=True).stdout.splitlines()[0]
        only = set(args.only.split(",")) if args.only else None
        for name in disk_images.NAMES:
            if only and name not in only:
                continue
            path = files[name]
            per_file = {}
            for fmt in DISK_FORMATS:
                per_file[f"{fmt}/bare"] = run_case(http, args.store_dir, name,
                                                   path, fmt, "bare")
                print(name, fmt, "bare",
                      per_file[f"{fmt}/bare"].get("upload", {}).get("code"),
                      file=sys.stderr)
            for cname, dfmt in CONTAINER_CASES:
                if cname != name:
                    continue
                for cfmt in CONTAINER_FORMATS:
                    per_file[f"{dfmt}/{cfmt}"] = run_case(
                        http, args.store_dir, name, path, dfmt, cfmt)
            results[name] = {"own_format": OWN_FORMAT.get(name),
                             "file_size": os.path.getsize(path),
                             "cases": per_file}
        reupload = refusal_then_reupload(http, args.store_dir, files)

    doc = {
        "_about": {
            "what": "Answers of a real Glance to PUT /v2/images/{id}/file "
                    "for the files of tests/support/disk_images.py, each "
                    "claimed as every disk_format (container_format "
                    "bare) and a few non-bare container formats. Keys: "
                    "file name, then '<disk_format>/<container_format>'.",
            "recorded": datetime.datetime.now(
                datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "glance_url": args.glance_url,
            "qemu_img": qemu,
            "regenerate": "start a real Keystone + Glance 33, then: "
                          "python -m tests.record_glance_inspection "
                          "--glance-url URL --store-dir DIR --glance-conf "
                          "CONF --glance-python VENV/bin/python "
                          "(credentials from OS_* env or --token)",
            "store_files": "files in Glance's filesystem store whose name "
                           "contains the image id, right after the upload "
                           "(before the DELETE)",
        },
        "glance": glance_options(args.glance_conf, args.glance_python),
        "results": results,
        "refused_then_reupload_same_image": reupload,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
