#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A small Kubernetes API server stand-in for bw_k8s_test (127.0.0.1 only).

It keeps objects like etcd does: every change gets the next resourceVersion
and is appended to an event log.  It speaks the parts of the API the
controller uses:

  GET  <collection>?limit=N[&continue=T]     paginated lists
  GET  <collection>?watch=1&resourceVersion=RV[&timeoutSeconds=S]
       streams the log after RV as JSON lines (ADDED/MODIFIED/DELETED),
       then live changes; an RV older than the compaction point gets an
       ERROR event with a 410 Status, as the real server sends
  PATCH <object>/status  (application/merge-patch+json)

and bearer-token checks against --token-file (re-read per request).

The test drives it over /_ctl/... (no token):
  (with --tls-cert, the same over HTTPS)
  POST /_ctl/put        body: an object (kind, metadata.name[, namespace])
  POST /_ctl/delete     body: {"kind":..., "namespace":..., "name":...}
  POST /_ctl/compact    forget the log up to now: older RVs get 410
  POST /_ctl/hold       keep new events from open watches (a gap)
  POST /_ctl/release    deliver again
  POST /_ctl/drop       close every open watch stream
  POST /_ctl/garbage    send a line that is not JSON on a watch (open or next)
  GET  /_ctl/log        the requests seen so far, as JSON
"""
import argparse
import json
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KA = "/apis/security.kubearmor.com/v1"
COLLECTIONS = {
    "/api/v1/pods": ("Pod", "v1", True),
    "/api/v1/namespaces": ("Namespace", "v1", False),
    "/api/v1/nodes": ("Node", "v1", False),
    KA + "/kubearmorpolicies": ("KubeArmorPolicy", "security.kubearmor.com/v1", True),
    KA + "/kubearmorhostpolicies": ("KubeArmorHostPolicy", "security.kubearmor.com/v1", False),
    KA + "/kubearmorclusterpolicies": ("KubeArmorClusterPolicy", "security.kubearmor.com/v1",
                                       False),
}
KIND_PATH = {v[0]: k for k, v in COLLECTIONS.items()}


class State:
    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 100
        self.objects = {}   # (kind, ns, name) -> object
        self.log = []       # (rv, kind, type, object)
        self.compacted = 0  # watches from an RV below this get 410
        self.held = False
        self.drop_gen = 0
        self.garbage = 0    # bad lines owed to the next watch that looks
        self.requests = []

    def change(self, kind, etype, obj):
        self.rv += 1
        obj = json.loads(json.dumps(obj))
        obj["metadata"]["resourceVersion"] = str(self.rv)
        key = (kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if etype == "DELETED":
            self.objects.pop(key, None)
        else:
            self.objects[key] = obj
        self.log.append((self.rv, kind, etype, obj))
        self.cond.notify_all()


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token_file = None

    def log_message(self, fmt, *args):  # quiet: the test prints what matters
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def status(self, code, reason, msg):
        self.reply(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "reason": reason, "message": msg, "code": code})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def authorized(self):
        try:
            with open(self.token_file) as f:
                want = f.read().strip()
        except OSError:
            want = None
        return want is not None and self.headers.get("Authorization") == "Bearer " + want

    def record(self, body=b""):
        u = urllib.parse.urlsplit(self.path)
        with STATE.cond:
            STATE.requests.append({
                "method": self.command, "path": u.path,
                "query": dict(urllib.parse.parse_qsl(u.query)),
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode(errors="replace"),
                "authorized": self.authorized(),
            })

    # --- control ---------------------------------------------------------

    def ctl(self, body):
        op = urllib.parse.urlsplit(self.path).path[len("/_ctl/"):]
        with STATE.cond:
            if op == "put":
                obj = json.loads(body)
                key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
                STATE.change(obj["kind"], "MODIFIED" if key in STATE.objects else "ADDED", obj)
            elif op == "delete":
                d = json.loads(body)
                obj = STATE.objects.get((d["kind"], d.get("namespace", ""), d["name"]))
                if obj is None:
                    return self.status(404, "NotFound", "no such object")
                STATE.change(d["kind"], "DELETED", obj)
            elif op == "compact":
                STATE.compacted = STATE.rv + 1
                STATE.log = []
            elif op == "hold":
                STATE.held = True
            elif op == "release":
                STATE.held = False
                STATE.cond.notify_all()
            elif op == "drop":
                STATE.drop_gen += 1
                STATE.cond.notify_all()
            elif op == "garbage":
                STATE.garbage += 1
                STATE.cond.notify_all()
            elif op == "log":
                return self.reply(200, {"requests": STATE.requests, "rv": STATE.rv})
            else:
                return self.status(404, "NotFound", "no control " + op)
        self.reply(200, {"rv": STATE.rv})

    # --- API -------------------------------------------------------------

    def do_GET(self):
        if self.path.startswith("/_ctl/"):
            return self.ctl(b"")
        self.record()
        if not self.authorized():
            return self.status(401, "Unauthorized", "bad token")
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path not in COLLECTIONS:
            return self.status(404, "NotFound", u.path)
        kind = COLLECTIONS[u.path][0]
        if q.get("watch") in ("1", "true"):
            return self.watch(kind, q)
        return self.list(kind, u.path, q)

    def list(self, kind, path, q):
        limit = int(q.get("limit") or 0)
        with STATE.cond:
            items = sorted((k, o) for k, o in STATE.objects.items() if k[0] == kind)
            rv = STATE.rv
        start = 0
        if q.get("continue"):
            tok = json.loads(urllib.parse.unquote(q["continue"]))
            if tok["rv"] < STATE.compacted - 1:
                return self.status(410, "Expired", "continue token expired")
            start = tok["start"]
            rv = tok["rv"]
        page = items[start:start + limit] if limit else items[start:]
        meta = {"resourceVersion": str(rv)}
        if limit and start + limit < len(items):
            meta["continue"] = json.dumps({"start": start + limit, "rv": rv})
        self.reply(200, {"kind": kind + "List", "apiVersion": COLLECTIONS[path][1],
                         "metadata": meta, "items": [o for _, o in page]})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def client_gone(self):
        """A closed client must not keep a watch (and eat test events)."""
        if isinstance(self.connection, ssl.SSLSocket):
            return False  # no peeking through TLS; the stream times out instead
        readable, _, _ = select.select([self.connection], [], [], 0)
        return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)

    def watch(self, kind, q):
        try:
            since = int(q.get("resourceVersion") or 0)
        except ValueError:
            return self.status(400, "BadRequest", "resourceVersion")
        timeout = int(q.get("timeoutSeconds") or 300)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        deadline = time.monotonic() + min(timeout, 30)
        with STATE.cond:
            drop_gen = STATE.drop_gen
            if since < STATE.compacted - 1:
                ev = {"type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "reason": "Expired", "code": 410,
                    "message": "too old resource version: %d (%d)" % (since, STATE.compacted)}}
                self.chunk(json.dumps(ev).encode() + b"\n")
                self.chunk(b"")
                return
        sent = since
        try:
            while True:
                if self.client_gone():
                    break
                with STATE.cond:
                    if STATE.drop_gen != drop_gen:
                        break
                    if STATE.garbage:
                        STATE.garbage -= 1
                        self.chunk(b"{this is not json\n")
                    pending = [] if STATE.held else \
                        [e for e in STATE.log if e[0] > sent and e[1] == kind]
                    if not pending:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        STATE.cond.wait(min(left, 0.2))
                        continue
                for rv, _, etype, obj in pending:
                    # Split an event across chunks to exercise reassembly.
                    line = json.dumps({"type": etype, "object": obj}).encode() + b"\n"
                    half = len(line) // 2
                    self.chunk(line[:half])
                    self.chunk(line[half:])
                    sent = rv
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_PATCH(self):
        body = self.body()
        self.record(body)
        if not self.authorized():
            return self.status(401, "Unauthorized", "bad token")
        path = urllib.parse.urlsplit(self.path).path
        if not path.endswith("/status"):
            return self.status(405, "MethodNotAllowed", "only status is patched here")
        if self.headers.get("Content-Type") != "application/merge-patch+json":
            return self.status(415, "UnsupportedMediaType", "want a merge patch")
        parts = path[:-len("/status")].split("/")
        name, plural = parts[-1], parts[-2]
        ns = parts[-3] if len(parts) >= 3 and parts[-4] == "namespaces" else ""
        kind = next((v[0] for k, v in COLLECTIONS.items() if k.endswith("/" + plural)), None)
        with STATE.cond:
            obj = STATE.objects.get((kind, ns, urllib.parse.unquote(name)))
            if obj is None:
                return self.status(404, "NotFound", path)
            patched = json.loads(json.dumps(obj))
            patched.setdefault("status", {}).update(json.loads(body).get("status", {}))
            STATE.change(kind, "MODIFIED", patched)
            self.reply(200, patched)

    def do_POST(self):
        body = self.body()
        if self.path.startswith("/_ctl/"):
            return self.ctl(body)
        self.status(405, "MethodNotAllowed", "POST")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    Handler.token_file = a.token_file
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Ends with the test even if the test dies without killing it.
    parent = os.getppid()

    def watchdog():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
