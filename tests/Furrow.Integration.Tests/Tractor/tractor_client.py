"""A Tractor client written from TRACTOR-PROTOCOL.md (standard library only), as Tractor 2.x's own clients talk.

Requests are sent the way Tractor's EngineClient writes them: HTTP/1.0 POSTs written by hand on a socket, parameters
in the URL or in a form body that ends with CRLF, `tsid=` appended when logged in. `urlopen_get` sends the same URL as
a plain GET, the way small third-party scripts do.
"""

import json
import socket
import urllib.parse
import urllib.request


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def rc(self):
        # EngineClient turns the HTTP status into rc, with 200 as 0.
        return 0 if self.status == 200 else self.status

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "Reply(%d, %r)" % (self.status, self.body[:300])


def quote(value):
    # EngineClient.constructURL: urllib.quote(str(value)), so "/" stays; lists are joined with commas. Bytes are quoted as
    # they are, as Python 2's urllib.quote quotes a byte string (Latin-1 titles from older pipelines).
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return urllib.parse.quote(value if isinstance(value, bytes) else str(value), safe="/")


def mask_password(password, challenge):
    """Tractor's built-in login hash (TRACTOR-PROTOCOL §2): "1" + hex(password byte XOR challenge byte) over
    min(len) bytes, then the hex of CHALLENGE|HASH."""
    p = password.encode("utf-8")
    c = challenge.encode("ascii")
    masked = "1" + "".join("%02x" % (p[i] ^ c[i]) for i in range(min(len(p), len(c))))
    return "".join("%02x" % b for b in (challenge + "|" + masked).encode("utf-8"))


class TractorClient:
    def __init__(self, host, port, user):
        self.host = host
        self.port = port
        self.user = user
        self.tsid = None

    def raw(self, verb_and_query, body=None, content_type=None, method="POST", extra_headers=None, crlf=True):
        """Sends one HTTP/1.0 request on a fresh socket and reads the reply to the close, as EngineClient does."""
        lines = ["%s /Tractor/%s HTTP/1.0" % (method, verb_and_query),
                 "User-Agent: Pixar-EngineClient/1.0 (furrow-test)",
                 "X-Tractor-Blade: 0",
                 "Host: %s:%d" % (self.host, self.port),
                 "Cookie: TractorUser=%s" % self.user]
        for k, v in (extra_headers or {}).items():
            lines.append("%s: %s" % (k, v))
        payload = b""
        if body is not None:
            payload = body if isinstance(body, bytes) else body.encode("utf-8")
            payload = payload.strip()
            if crlf:
                payload += b"\r\n"
            if content_type != "":  # "" sends no Content-Type at all, as a hand-written request may
                lines.append("Content-Type: %s" % (content_type or "application/x-www-form-urlencoded"))
        lines.append("Content-Length: %d" % len(payload))
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + payload
        with socket.create_connection((self.host, self.port), timeout=60) as s:
            s.sendall(request)
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        data = b"".join(chunks)
        head, _, rest = data.partition(b"\r\n\r\n")
        head_lines = head.decode("latin-1").split("\r\n")
        status = int(head_lines[0].split()[1])
        headers = {}
        for line in head_lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "transfer-encoding" in headers:
            raise AssertionError("an HTTP/1.0 reply must not be chunked: %r" % headers)
        if "content-length" in headers:
            rest = rest[:int(headers["content-length"])]
        return Reply(status, headers, rest)

    def transaction(self, verb, params, in_body=False, method="POST", body=None, content_type=None):
        """A Tractor call: `params` go in the URL (or, with in_body, a form body), with tsid= when logged in."""
        query = "&".join("%s=%s" % (k, quote(v)) for k, v in params.items())
        if self.tsid:
            query += ("&" if query else "") + "tsid=" + self.tsid
        if in_body:
            return self.raw(verb, body=query, method=method)
        return self.raw(verb + ("?" + query if query else ""), body=body, content_type=content_type, method=method)

    def login(self, password=None):
        scheme = self.transaction("monitor", {"q": "loginscheme"}).json()
        if scheme.get("validation", "").startswith("internal:"):
            challenge = self.transaction("monitor", {"q": "gentoken"}).json()["challenge"]
            reply = self.transaction("monitor", {"q": "login", "user": self.user, "c": mask_password(password or "", challenge)})
        else:
            reply = self.transaction("monitor", {"q": "login", "user": self.user})
        tsid = reply.json().get("tsid")
        self.tsid = tsid
        return reply

    def logout(self):
        reply = self.transaction("monitor", {"q": "logout", "user": self.user})
        self.tsid = None
        return reply

    def spool(self, script, owner=None, filename="no filename specified", cwd="/tmp", content_type="application/tractor-spool", extra=None):
        params = {"spvers": "2.0", "hnm": "testhost", "jobOwner": owner or self.user, "jobFile": filename, "jobcwd": cwd}
        params.update(extra or {})
        return self.transaction("spool", params, body=script, content_type=content_type)

    def select(self, table, where, columns=(), sortby=(), limit=None, archive=False, aliases=None):
        """The query API's call (TRACTOR-PROTOCOL §4a): db?q=tractorselect(...)."""
        sql = "tractorselect('%s', '%s', '%s', '%s', %s, '%s', '%s')" % (
            table, where.replace("'", "''"), ",".join(columns), ",".join(sortby),
            "NULL" if limit is None else int(limit), "t" if archive else "f", repr(aliases) if aliases else "None")
        return self.transaction("db", {"q": sql})

    def native(self, method, path, body=None):
        """The native API with the tsid as a Bearer token, to check what a Tractor call did."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request("http://%s:%d%s" % (self.host, self.port, path), data=data, method=method)
        if self.tsid:
            request.add_header("Authorization", "Bearer " + self.tsid)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return r.status, json.loads(r.read().decode("utf-8") or "null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode("utf-8") or "null")

    def native_rows(self, table, cols, where):
        """Rows of the native column query (/api/v1/query/TABLE) as dicts keyed by column name."""
        status, reply = self.native("GET", "/api/v1/query/%s?cols=%s&q=%s" % (table, ",".join(cols), urllib.parse.quote(where)))
        assert status == 200, (status, reply)
        return [dict(zip(cols, row)) for row in reply["rows"]]


def urlopen_get(host, port, verb_and_query):
    """A plain GET of a Tractor URL, as small scripts (curl, fetch) send it."""
    try:
        with urllib.request.urlopen("http://%s:%d/Tractor/%s" % (host, port, verb_and_query), timeout=60) as r:
            return Reply(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())
