#!/usr/bin/python3
"""One script of calls made with OpenStack's own tools, run against one Keystone + Barbican.

OpenStackSideBySideTest runs it against kms-testkit's emulator and against the real servers of
scripts/integration/up.sh and compares the two outputs call by call. Each call's outcome (status, exception type,
the fields of the answer) is printed after normalising what differs by nature between two servers: base URLs,
UUIDs, 32-hex ids, timestamps and tokens.

Input (environment):
  SBS_AUTH_URL, SBS_BARBICAN_URL, SBS_CA      Keystone's /v3 URL, Barbican's base URL, the CA file (PEM)
  SBS_CRED_ID, SBS_CRED_SECRET                an application credential with roles reader, member, creator
  SBS_MEMBER_ID, SBS_MEMBER_SECRET            one with role member only (Barbican answers it 403), or else
  SBS_USER_NAME, SBS_USER_PASSWORD, SBS_PROJECT_NAME
                                              a user that may create (and afterwards delete) such a credential
Output: a JSON list of {"call": name, "outcome": {...}} on stdout. Exit status 0 unless the script itself broke.
"""
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import time

import requests
from barbicanclient import client as barbican_client
from castellan.common.objects import symmetric_key
from castellan.key_manager import barbican_key_manager
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from oslo_config import cfg

PREFIX = "kms-sbs"
AUTH_URL = os.environ["SBS_AUTH_URL"].rstrip("/")
KS_ROOT = AUTH_URL[: -len("/v3")]
BARBICAN = os.environ["SBS_BARBICAN_URL"].rstrip("/")
CA = os.environ["SBS_CA"]
CRED = (os.environ["SBS_CRED_ID"], os.environ["SBS_CRED_SECRET"])
PAYLOAD = bytes(range(32))
TIMEOUT = 120

RULES = [
    (re.compile(re.escape(KS_ROOT)), "<keystone>"),
    (re.compile(re.escape(BARBICAN)), "<barbican>"),
    (re.compile(r"gAAAA[A-Za-z0-9_\-=]+"), "<token>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<time>"),
]


def norm(value):
    if isinstance(value, str):
        for pattern, replacement in RULES:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {norm(k): norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return "<time>"
    if isinstance(value, bytes):
        return "b64:" + base64.b64encode(value).decode()
    return value


RESULTS = []


def call(name, fn):
    """Runs one call and records its outcome; an exception is an outcome too."""
    try:
        outcome = {"ok": True, "value": fn()}
    except Exception as e:  # noqa: BLE001 - the type is the outcome being compared
        status = getattr(e, "status_code", None) or getattr(getattr(e, "response", None), "status_code", None)
        outcome = {"ok": False, "exception": type(e).__name__, "status": status}
    RESULTS.append({"call": name, "outcome": norm(outcome)})
    return outcome.get("value")


def auth(cred):
    plugin = v3.ApplicationCredential(auth_url=AUTH_URL, application_credential_id=cred[0],
                                      application_credential_secret=cred[1])
    # keystoneauth renews a token with less than 120 s left; the real suite's tokens live 30 s, so without this
    # every request would fetch a new token (same on both servers, only slower). 15 s leaves a slow request time to
    # finish before its token expires.
    plugin.MIN_TOKEN_LIFE_SECONDS = 15
    return plugin


def session(cred):
    return ks_session.Session(auth=auth(cred), verify=CA, timeout=TIMEOUT)


def raw(method, url, **kw):
    kw.setdefault("verify", CA)
    kw.setdefault("timeout", TIMEOUT)
    return requests.request(method, url, **kw)


def answer(r, *fields, headers=()):
    """Status, the named JSON fields (dotted paths) and whether the named headers are present."""
    out = {"status": r.status_code}
    body = r.json() if r.content and "json" in r.headers.get("Content-Type", "") else None
    for f in fields:
        node = body
        for part in f.split("."):
            node = node.get(part) if isinstance(node, dict) else (
                node[int(part)] if isinstance(node, list) and part.isdigit() and int(part) < len(node) else None)
        out[f] = node
    for h in headers:
        out["header " + h] = h in r.headers
    return out


def token_body(secret=None, methods=("application_credential",), cred_id=None):
    ident = {"methods": list(methods),
             "application_credential": {"id": cred_id or CRED[0], "secret": CRED[1] if secret is None else secret}}
    return {"auth": {"identity": ident}}


def member_credential():
    """The member-only credential: given, or made for this run (and deleted after it) by the given user."""
    if os.environ.get("SBS_MEMBER_ID"):
        return (os.environ["SBS_MEMBER_ID"], os.environ["SBS_MEMBER_SECRET"]), None

    def login():
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": os.environ["SBS_USER_NAME"], "domain": {"id": "default"},
            "password": os.environ["SBS_USER_PASSWORD"]}}},
            "scope": {"project": {"name": os.environ["SBS_PROJECT_NAME"], "domain": {"id": "default"}}}}}
        r = raw("POST", AUTH_URL + "/auth/tokens?nocatalog", json=body)
        r.raise_for_status()
        user = r.json()["token"]["user"]["id"]
        return {"X-Auth-Token": r.headers["X-Subject-Token"]}, "%s/users/%s/application_credentials" % (AUTH_URL, user)

    def drop_all():
        h, base = login()
        for c in raw("GET", base + "?name=" + PREFIX + "-member", headers=h).json()["application_credentials"]:
            raw("DELETE", base + "/" + c["id"], headers=h)

    drop_all()
    h, base = login()
    r = raw("POST", base, headers=h, json={"application_credential": {
        "name": PREFIX + "-member", "roles": [{"name": "member"}]}})
    r.raise_for_status()
    c = r.json()["application_credential"]
    return (c["id"], c["secret"]), drop_all


def clean(bc):
    """Deletes the secrets a run leaves (names start with PREFIX). Orders stay: deleting one needs admin."""
    for s in bc.secrets.list(limit=100):
        if (s.name or "").startswith(PREFIX):
            bc.secrets.delete(s.secret_ref)


class RequestContext:
    """What castellan accepts from oslo.context: an object of this class name that hands out an auth plugin."""

    def __init__(self, plugin):
        self._plugin = plugin

    def get_auth_plugin(self):
        return self._plugin


def castellan(barbican_endpoint=None):
    conf = cfg.ConfigOpts()
    conf([], project="side-by-side")
    km = barbican_key_manager.BarbicanKeyManager(conf)
    conf.set_override("verify_ssl_path", CA, group="barbican")
    if barbican_endpoint:
        conf.set_override("barbican_endpoint", barbican_endpoint, group="barbican")
    return km


def cli(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_TYPE="v3applicationcredential", OS_AUTH_URL=AUTH_URL, OS_IDENTITY_API_VERSION="3",
               OS_APPLICATION_CREDENTIAL_ID=CRED[0], OS_APPLICATION_CREDENTIAL_SECRET=CRED[1], OS_CACERT=CA)
    p = subprocess.run(["/usr/bin/openstack", *args], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    out = {"returncode": p.returncode}
    if p.returncode == 0 and "-f" in args and p.stdout.strip():
        out["json"] = json.loads(p.stdout)
    return out


def main():
    member, drop_member = member_credential()
    sess, member_sess = session(CRED), session(member)
    bc = barbican_client.Client(session=sess)           # the endpoint comes from the service catalog
    member_bc = barbican_client.Client(session=member_sess)
    clean(bc)
    try:
        run(sess, bc, member, member_sess, member_bc)
    finally:
        clean(bc)
        if drop_member:
            drop_member()
    json.dump(RESULTS, sys.stdout, indent=1, sort_keys=True)


def run(sess, bc, member, member_sess, member_bc):
    # Keystone: discovery, tokens, catalog, validation, refusals.
    call("keystone GET /", lambda: answer(raw("GET", KS_ROOT + "/"), "versions.values.0.id",
                                          "versions.values.0.status", headers=("Location",)))
    call("keystone GET /v3", lambda: answer(raw("GET", AUTH_URL), "version.id", "version.status",
                                            "version.links.0.href"))
    call("keystoneauth token", lambda: {"token": bool(sess.get_token()),
                                        "project": sess.get_project_id(), "user": sess.get_user_id()})
    access = sess.auth.get_access(sess)
    call("keystoneauth roles", lambda: sorted(access.role_names))
    call("keystoneauth catalog", lambda: sorted(
        (s["type"], sorted(e["interface"] for e in s["endpoints"])) for s in access.service_catalog.catalog))
    call("keystoneauth key-manager endpoints", lambda: [
        sess.get_endpoint(service_type="key-manager", interface=i) for i in ("public", "internal", "admin")])
    def own(s=sess):
        token = s.get_token()
        return {"X-Auth-Token": token, "X-Subject-Token": token}
    call("keystone GET /v3/auth/tokens (own token)", lambda: answer(
        raw("GET", AUTH_URL + "/auth/tokens", headers=own()),
        "token.methods", "token.project.id", "token.application_credential.restricted",
        headers=("X-Subject-Token",)))
    call("keystone HEAD /v3/auth/tokens (own token)", lambda: answer(
        raw("HEAD", AUTH_URL + "/auth/tokens", headers=own())))
    call("keystone GET /v3/auth/tokens (garbage subject)", lambda: answer(
        raw("GET", AUTH_URL + "/auth/tokens", headers=dict(own(), **{"X-Subject-Token": "garbage"})),
        "error.code", "error.message"))
    call("keystone POST token ?nocatalog", lambda: answer(
        raw("POST", AUTH_URL + "/auth/tokens?nocatalog", json=token_body()), "token.catalog", "token.methods",
        headers=("X-Subject-Token",)))
    call("keystone POST token, wrong secret", lambda: answer(
        raw("POST", AUTH_URL + "/auth/tokens", json=token_body(secret="wrong")), "error.code", "error.message",
        headers=("WWW-Authenticate",)))
    call("keystone POST token, unknown credential", lambda: answer(
        raw("POST", AUTH_URL + "/auth/tokens", json=token_body(cred_id="0" * 32)), "error.code", "error.message"))
    call("keystone POST token, password login", lambda: answer(
        raw("POST", AUTH_URL + "/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
            "user": {"name": PREFIX + "-nobody", "domain": {"id": "default"}, "password": "x"}}}}}),
        "error.code", "error.title"))
    call("keystone POST token, method without its object", lambda: answer(
        raw("POST", AUTH_URL + "/auth/tokens", json=token_body(methods=["password"])), "error.code",
        "error.message"))

    # Barbican through barbicanclient, whose endpoint comes from the catalog.
    call("barbican GET /", lambda: answer(raw("GET", BARBICAN + "/"), "versions.values.0.id",
                                          "versions.values.0.links.0.href"))
    def h(s=sess, **more):
        return dict({"X-Auth-Token": s.get_token()}, **more)
    call("barbican GET /v1", lambda: answer(raw("GET", BARBICAN + "/v1", headers=h()),
                                            "version.id", "version.status"))
    call("barbican GET /v1/secrets without token", lambda: answer(
        raw("GET", BARBICAN + "/v1/secrets"), "error.code", "error.message", headers=("WWW-Authenticate",)))
    ref = call("barbicanclient store with payload", lambda: bc.secrets.create(
        name=PREFIX + "-a", payload=PAYLOAD, algorithm="aes", bit_length=256, mode="cbc",
        secret_type="symmetric").store())

    def metadata(r):
        s = bc.secrets.get(r)
        return {f: getattr(s, f) for f in ("name", "status", "secret_type", "algorithm", "bit_length", "mode",
                                            "content_types", "expiration", "created", "secret_ref")}
    call("barbicanclient get metadata", lambda: metadata(ref))
    call("barbicanclient get payload", lambda: bc.secrets.get(ref).payload)
    empty = call("barbicanclient store without payload", lambda: bc.secrets.create(
        name=PREFIX + "-b", algorithm="aes", bit_length=256).store())
    call("barbicanclient metadata of a secret without payload", lambda: metadata(empty))
    call("barbicanclient payload of a secret without payload", lambda: bc.secrets.get(empty).payload)
    for i in range(3):
        bc.secrets.create(name=PREFIX + "-list", payload="item %d" % i, payload_content_type="text/plain").store()
    call("barbicanclient list name, limit 1, offset 1", lambda: [
        (s.name, s.content_types) for s in bc.secrets.list(name=PREFIX + "-list", limit=1, offset=1)])
    call("barbicanclient list name", lambda: sorted(
        s.payload for s in bc.secrets.list(name=PREFIX + "-list")))

    def order():
        o = bc.orders.get(bc.orders.create_key(name=PREFIX + "-order", algorithm="aes", bit_length=256,
                                               mode="cbc").submit())
        deadline = time.monotonic() + 60
        while o.status == "PENDING" and time.monotonic() < deadline:
            time.sleep(0.5)
            o = bc.orders.get(o.order_ref)
        s = bc.secrets.get(o.secret_ref)
        return {"status": o.status, "class": type(o).__name__, "name": s.name, "bit_length": s.bit_length,
                "secret_type": s.secret_type, "payload bytes": len(s.payload)}
    call("barbicanclient key order", order)

    # Raw requests for what the clients hide: Accept negotiation, id checks, error bodies.
    call("GET payload, Accept application/json", lambda: answer(
        raw("GET", ref + "/payload", headers=h(Accept="application/json")), "code", "title", "description"))
    call("GET payload, Accept */*", lambda: (lambda r: {"status": r.status_code, "type": r.headers["Content-Type"],
                                                         "body": r.content})(
        raw("GET", ref + "/payload", headers=h(Accept="*/*"))))
    call("deprecated GET secret, Accept application/octet-stream", lambda: (
        lambda r: {"status": r.status_code, "type": r.headers["Content-Type"], "body": r.content})(
        raw("GET", ref, headers=h(Accept="application/octet-stream"))))
    call("GET secret, id not a uuid", lambda: answer(
        raw("GET", BARBICAN + "/v1/secrets/not-a-uuid", headers=h()), "code", "description"))
    call("GET secret, uuid not version 4", lambda: answer(
        raw("GET", BARBICAN + "/v1/secrets/12345678-1234-1234-1234-123456789012", headers=h()), "code",
        "description"))
    call("GET secret, unknown v4 uuid", lambda: answer(
        raw("GET", BARBICAN + "/v1/secrets/12345678-1234-4234-8234-123456789012", headers=h()), "code",
        "description"))
    call("POST secret, payload without content type", lambda: answer(
        raw("POST", BARBICAN + "/v1/secrets", headers=h(), json={"payload": "x"}), "code", "description"))

    # A credential without a Barbican role (member only): 403 for every call.
    call("barbicanclient member: get payload", lambda: member_bc.secrets.get(ref).payload)
    call("barbicanclient member: list", lambda: list(member_bc.secrets.list()))
    call("barbicanclient member: store", lambda: member_bc.secrets.create(name=PREFIX + "-m", payload="x").store())
    call("member: GET metadata", lambda: answer(raw("GET", ref, headers=h(member_sess)), "code", "description"))
    call("member: POST order", lambda: answer(raw("POST", BARBICAN + "/v1/orders", headers=h(member_sess), json={
        "type": "key", "meta": {"algorithm": "aes", "bit_length": 256}}), "code", "description"))
    call("member: DELETE secret", lambda: answer(raw("DELETE", ref, headers=h(member_sess)), "code", "description"))

    # castellan's Barbican key manager: default configuration (catalog), then barbican_endpoint alone.
    ctx, member_ctx = RequestContext(auth(CRED)), RequestContext(auth(member))
    km = castellan()
    kid = call("castellan create_key (catalog)", lambda: km.create_key(ctx, "AES", 256, name=PREFIX + "-c"))
    call("castellan get", lambda: (lambda k: {"algorithm": k.algorithm, "bit_length": k.bit_length,
                                              "bytes": len(k.get_encoded()), "name": k.name})(km.get(ctx, kid)))
    km2 = castellan(barbican_endpoint=BARBICAN)
    stored = call("castellan store (barbican_endpoint)", lambda: km2.store(
        ctx, symmetric_key.SymmetricKey("AES", 256, PAYLOAD, name=PREFIX + "-d")))
    call("castellan get stored", lambda: km2.get(ctx, stored).get_encoded())
    call("castellan member: get", lambda: castellan().get(member_ctx, kid))
    call("castellan delete", lambda: km.delete(ctx, kid))
    call("castellan get deleted", lambda: km.get(ctx, kid))

    # The openstack CLI with the barbican plugin.
    call("openstack token issue", lambda: (lambda o: {"returncode": o["returncode"],
                                                      "fields": sorted(o.get("json", {}))})(
        cli("token", "issue", "-f", "json")))
    made = call("openstack secret store", lambda: cli("secret", "store", "--name", PREFIX + "-cli", "--payload",
                                                       "hello", "-f", "json"))
    href = (made or {}).get("json", {}).get("Secret href", BARBICAN + "/v1/secrets/missing")
    call("openstack secret list --name", lambda: cli("secret", "list", "--name", PREFIX + "-cli", "-f", "json"))
    call("openstack secret get", lambda: cli("secret", "get", href, "-f", "json"))
    call("openstack secret get --payload", lambda: cli("secret", "get", href, "--payload", "-f", "json"))
    call("openstack secret delete", lambda: cli("secret", "delete", href))
    call("openstack secret get (deleted)", lambda: cli("secret", "get", href, "-f", "json"))

    call("barbicanclient delete", lambda: bc.secrets.delete(ref))
    call("barbicanclient get deleted", lambda: metadata(ref))


if __name__ == "__main__":
    main()
