#!/usr/bin/env python3
"""A fault-injecting HTTP proxy between AWS clients and a local AWS (moto).

    faultproxy.py --upstream http://127.0.0.1:PORT [--listen HOST:PORT]
                  [--throttle P] [--error P] [--reset P] [--truncate P]
                  [--slow P] [--slow-ms MIN-MAX] [--seed N]
                  [--port-file PATH] [--stats-file PATH]

Clients point AWS_ENDPOINT_URL at the proxy. Every request is read whole
(head, then a Content-Length or chunked body) and, by one seeded draw per
request, answered with a fault or forwarded to the upstream byte for byte
(only an `Expect: 100-continue` header is answered here and dropped, so
that a client never waits for a 100 the upstream would send late). The
response comes back byte for byte too. Connections are kept alive on both
sides; each client connection has its own upstream connection, so any
number of clients are served at once (asyncio, one thread).

Faults, each at its own rate (a probability per request, 0..1):
  --throttle  a throttling error in the shape the caller's protocol expects:
              query (XML ErrorResponse, Code Throttling, 400), EC2
              (RequestLimitExceeded, 503), JSON 1.0/1.1 (ThrottlingException;
              DynamoDB ProvisionedThroughputExceededException; 400), RPCv2
              CBOR (ThrottlingException, 400), S3 REST-XML (SlowDown, 503),
              other REST-XML (Throttling, 400), REST-JSON
              (TooManyRequestsException, 429);
  --error     500 or 503 (even odds), in the same protocol shapes;
  --reset     the connection is reset (RST) after the request was read;
  --truncate  the upstream's response is cut in half and the connection
              closed: only for non-S3 reads (Describe*/List*/Get*, REST GET),
              because the upstream has already acted on the request, and
              a retried write is not what a real truncation tests;
  --slow      the request waits --slow-ms (uniform) before it is forwarded.
throttle, error, reset and truncate exclude each other (one draw: a
request gets at most one of them); slow is drawn on its own. Faults other
than truncate are answered without forwarding, as AWS's front end does, so
the upstream never sees the request.

The protocol is read from the request: Smithy-Protocol / application/cbor,
X-Amz-Target (JSON), the SigV4 credential scope's service (Authorization
header or X-Amz-Credential), and the Content-Type of a form-encoded query.

Control (not forwarded, never faulted; a bucket cannot be named "__faults"):
  GET  /__faults      the counters and the rates, as JSON
  POST /__faults      a JSON object of new rates ({"throttle": 0, ...}), a new
                      "seed" (restarts the draws), {"reset_counters": true};
                      answers like GET
On SIGTERM/SIGINT the proxy writes the counters to --stats-file (if given)
and to stderr, and exits 0. It exits by itself when its parent process
goes away, so a crashed test never leaves it behind.
"""
import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import urllib.parse
import uuid

MAX_HEAD = 1 << 20

FLAVOURS = ("query", "ec2", "json", "dynamodb", "cbor", "s3", "rest-xml", "rest-json")
FAULTS = ("throttle", "error_500", "error_503", "reset", "truncate", "slow")
REST_XML_SERVICES = {"route53", "cloudfront"}
SCOPE_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class Stats:
    def __init__(self):
        self.reset()

    def reset(self):
        self.requests = 0
        self.forwarded = 0
        self.upstream_errors = 0
        self.faults = dict.fromkeys(FAULTS, 0)
        self.throttle_by_flavour = dict.fromkeys(FLAVOURS, 0)
        self.requests_by_flavour = dict.fromkeys(FLAVOURS, 0)
        self.requests_by_service = {}

    def as_json(self, cfg):
        return {
            "requests": self.requests,
            "forwarded": self.forwarded,
            "upstream_errors": self.upstream_errors,
            "faults": dict(self.faults),
            "throttle_by_flavour": dict(self.throttle_by_flavour),
            "requests_by_flavour": dict(self.requests_by_flavour),
            "requests_by_service": dict(sorted(self.requests_by_service.items())),
            "rates": cfg.rates(),
            "seed": cfg.seed,
        }


class Config:
    RATE_KEYS = ("throttle", "error", "reset", "truncate", "slow")

    def __init__(self, args):
        self.throttle = args.throttle
        self.error = args.error
        self.reset = args.reset
        self.truncate = args.truncate
        self.slow = args.slow
        self.slow_min, self.slow_max = args.slow_ms
        self.seed = args.seed
        self.rng = random.Random(args.seed)

    def rates(self):
        r = {k: getattr(self, k) for k in self.RATE_KEYS}
        r["slow_ms"] = [self.slow_min, self.slow_max]
        return r

    def update(self, obj):
        """Set the rates named in `obj`; all or none (ValueError)."""
        new = {k: float(obj.get(k, getattr(self, k))) for k in self.RATE_KEYS}
        for k, v in new.items():
            if not 0.0 <= v <= 1.0:
                raise ValueError("%s: %r is not a probability" % (k, v))
        if new["throttle"] + new["error"] + new["reset"] + new["truncate"] > 1.0:
            raise ValueError("throttle + error + reset + truncate exceed 1")
        for k, v in new.items():
            setattr(self, k, v)
        if "seed" in obj:
            self.seed = int(obj["seed"])
            self.rng = random.Random(self.seed)


# ---- requests -------------------------------------------------------------


class Request:
    def __init__(self, head, method, target, headers):
        self.head = head          # raw bytes, CRLFCRLF included
        self.method = method
        self.target = target
        self.headers = headers    # {lower name: value} (last wins)
        self.body = b""           # raw, as received (chunked stays chunked)
        self.decoded = b""        # body without chunk framing (for detection)

    def header(self, name):
        return self.headers.get(name, "")


def parse_head(raw):
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("bad request line %r" % lines[0][:80])
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("bad header line %r" % line[:80])
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], parts[2], headers


async def read_chunked(reader):
    """The raw bytes of a chunked body (trailers included) and its payload."""
    raw, payload = bytearray(), bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        raw += line
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        data = await reader.readexactly(size + 2)
        raw += data
        payload += data[:-2]
    while True:                   # trailers, up to the empty line
        line = await reader.readuntil(b"\r\n")
        raw += line
        if line == b"\r\n":
            return bytes(raw), bytes(payload)


async def read_request(reader):
    """The next request, or None when the client closed between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial.strip():
            raise
        return None
    method, target, _version, headers = parse_head(head)
    req = Request(head, method, target, headers)
    return req


async def read_body(req, reader):
    if "chunked" in req.header("transfer-encoding").lower():
        req.body, req.decoded = await read_chunked(reader)
    else:
        n = int(req.header("content-length") or 0)
        req.body = await reader.readexactly(n) if n else b""
        req.decoded = req.body


def without_expect(head):
    lines = head.split(b"\r\n")
    kept = [l for l in lines if not l.lower().startswith(b"expect:")]
    return b"\r\n".join(kept)


# ---- the caller's protocol --------------------------------------------------


def service_of(req):
    m = SCOPE_RE.search(req.header("authorization"))
    if m:
        return m.group(1)
    query = urllib.parse.urlsplit(req.target).query
    cred = urllib.parse.parse_qs(query).get("X-Amz-Credential")
    if cred:
        parts = cred[0].split("/")
        if len(parts) >= 4:
            return parts[3]
    return ""


def action_of(req):
    """Query/EC2 Action, or the JSON/CBOR operation, or ""."""
    target = req.header("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in req.target:
        return req.target.rsplit("/operation/", 1)[-1].split("?")[0]
    query = urllib.parse.urlsplit(req.target).query
    form = query
    if "x-www-form-urlencoded" in req.header("content-type"):
        form = req.decoded.decode("latin-1")
    for source in (form, query):
        act = urllib.parse.parse_qs(source).get("Action")
        if act:
            return act[0]
    return ""


def flavour_of(req, service):
    ctype = req.header("content-type").lower()
    if req.header("smithy-protocol") == "rpc-v2-cbor" or "application/cbor" in ctype:
        return "cbor"
    target = req.header("x-amz-target")
    if target:
        if service == "dynamodb" or target.startswith("DynamoDB"):
            return "dynamodb"
        return "json"
    if service == "ec2":
        return "ec2"
    if service in ("s3", "s3-object-lambda"):
        return "s3"
    if "x-www-form-urlencoded" in ctype or "Action=" in req.target:
        return "query"
    if service in REST_XML_SERVICES:
        return "rest-xml"
    return "rest-json"


def is_read(req, flavour):
    if flavour == "s3":
        return False              # object bodies are streams the caller reads itself
    action = action_of(req)
    if action:
        return action.startswith(("Describe", "List", "Get"))
    return req.method == "GET"


# ---- error bodies -------------------------------------------------------------


def cbor_text(s):
    b = s.encode()
    n = len(b)
    if n < 24:
        return bytes([0x60 + n]) + b
    if n < 256:
        return bytes([0x78, n]) + b
    return bytes([0x79]) + struct.pack(">H", n) + b


def cbor_map(d):
    out = bytes([0xA0 + len(d)])
    for k, v in d.items():
        out += cbor_text(k) + cbor_text(v)
    return out


# (status, code, message) per flavour and fault
THROTTLE = {
    "query": (400, "Throttling", "Rate exceeded"),
    "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "json": (400, "ThrottlingException", "Rate exceeded"),
    "dynamodb": (400, "ProvisionedThroughputExceededException",
                 "The level of configured provisioned throughput for the table was exceeded."),
    "cbor": (400, "ThrottlingException", "Rate exceeded"),
    "s3": (503, "SlowDown", "Please reduce your request rate."),
    "rest-xml": (400, "Throttling", "Rate exceeded"),
    "rest-json": (429, "TooManyRequestsException", "Rate exceeded"),
}
ERROR_CODES = {
    # flavour: (500 code, 503 code)
    "query": ("InternalFailure", "ServiceUnavailable"),
    "ec2": ("InternalError", "Unavailable"),
    "json": ("InternalFailure", "ServiceUnavailable"),
    "dynamodb": ("InternalServerError", "ServiceUnavailable"),
    "cbor": ("InternalFailure", "ServiceUnavailable"),
    "s3": ("InternalError", "ServiceUnavailable"),
    "rest-xml": ("InternalFailure", "ServiceUnavailable"),
    "rest-json": ("ServiceException", "ServiceUnavailableException"),
}


def error_response(req, flavour, status, code, message):
    rid = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", rid)]
    if flavour in ("query", "rest-xml"):
        kind = "Receiver" if status >= 500 else "Sender"
        body = ('<?xml version="1.0"?>\n<ErrorResponse xmlns="https://aws.amazon.com/">'
                "<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
                "<RequestId>%s</RequestId></ErrorResponse>" % (kind, code, message, rid)).encode()
        ctype = "text/xml"
    elif flavour == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code>'
                "<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>"
                % (code, message, rid)).encode()
        ctype = "text/xml;charset=UTF-8"
    elif flavour == "s3":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
                "<RequestId>%s</RequestId><HostId>faultproxy</HostId></Error>"
                % (code, message, rid)).encode()
        ctype = "application/xml"
        headers.append(("x-amz-request-id", rid))
    elif flavour == "cbor":
        body = cbor_map({"__type": code, "message": message})
        ctype = "application/cbor"
        headers.append(("Smithy-Protocol", "rpc-v2-cbor"))
    elif flavour in ("json", "dynamodb"):
        version = "1.0" if flavour == "dynamodb" else req.header("content-type").rpartition("-")[2] or "1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
        ctype = "application/x-amz-json-%s" % version
    else:                         # REST-JSON
        body = json.dumps({"message": message, "Type": "Service" if status >= 500 else "User"}).encode()
        ctype = "application/json"
        headers.append(("x-amzn-ErrorType", code))
    if req.method == "HEAD":
        body = b""
    reason = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error",
              503: "Service Unavailable"}[status]
    lines = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: " + ctype,
             "Content-Length: %d" % len(body)]
    lines += ["%s: %s" % (k, v) for k, v in headers]
    if req.header("expect"):
        lines.append("Connection: close")   # the client may still send the body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def simple_response(status, reason, obj):
    body = (json.dumps(obj, indent=1) + "\n").encode()
    return ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (status, reason, len(body))).encode() + body


# ---- responses from the upstream ------------------------------------------------


async def read_response(reader, method):
    """(raw head, raw body, keep_alive) of the upstream's next final response."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, _, rest = head.decode("latin-1").partition("\r\n")
        version, status = status_line.split(" ")[0], int(status_line.split(" ")[1])
        if 100 <= status < 200:
            continue              # no Expect was forwarded; ignore stray 1xx
        break
    headers = {}
    for line in rest.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    conn = headers.get("connection", "").lower()
    keep = conn != "close" and (version == "HTTP/1.1" or conn == "keep-alive")
    if method == "HEAD" or status in (204, 304):
        return head, b"", keep
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, _ = await read_chunked(reader)
        return head, body, keep
    if "content-length" in headers:
        n = int(headers["content-length"])
        return head, (await reader.readexactly(n)) if n else b"", keep
    return head, await reader.read(), False


class Upstream:
    """One client connection's connection to the upstream, opened on demand."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.used = False

    async def exchange(self, data, method):
        for attempt in (0, 1):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.used = False
            try:
                self.writer.write(data)
                await self.writer.drain()
                head, body, keep = await read_response(self.reader, method)
            except (asyncio.IncompleteReadError, ConnectionError) as e:
                # a kept-alive connection the upstream closed while idle: once more
                reusable = not fresh and self.used and (
                    not isinstance(e, asyncio.IncompleteReadError) or not e.partial)
                self.close()
                if attempt or not reusable:
                    raise
                continue
            self.used = True
            if not keep:
                self.close()
            return head, body

    def close(self):
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None


# ---- the proxy ----------------------------------------------------------------------


class Proxy:
    def __init__(self, cfg, upstream):
        self.cfg = cfg
        self.stats = Stats()
        u = urllib.parse.urlsplit(upstream)
        if u.scheme != "http" or not u.hostname or not u.port:
            raise SystemExit("faultproxy: --upstream must be http://HOST:PORT, not %r" % upstream)
        self.up_host, self.up_port = u.hostname, u.port

    def control(self, req):
        if req.method == "POST":
            try:
                obj = json.loads(req.decoded or b"{}")
                if obj.get("reset_counters"):
                    self.stats.reset()
                self.cfg.update(obj)
            except (ValueError, AttributeError, TypeError) as e:
                return simple_response(400, "Bad Request", {"error": str(e)})
        return simple_response(200, "OK", self.stats.as_json(self.cfg))

    def draw(self):
        """(fault, delay): throttle, error_500/503, reset, truncate or None; seconds."""
        c = self.cfg
        r = c.rng.random()
        slow = c.rng.random() < c.slow
        delay = c.rng.uniform(c.slow_min, c.slow_max) / 1000.0 if slow else 0.0
        for name, rate in (("throttle", c.throttle), ("error", c.error), ("reset", c.reset),
                           ("truncate", c.truncate)):
            if r < rate:
                if name == "error":
                    return ("error_500" if c.rng.random() < 0.5 else "error_503"), delay
                return name, delay
            r -= rate
        return None, delay

    async def serve(self, reader, writer):
        up = Upstream(self.up_host, self.up_port)
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                if not await self.one(req, reader, writer, up):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.LimitOverrunError):
            pass
        finally:
            up.close()
            writer.close()

    async def one(self, req, reader, writer, up):
        """Serve one request; False when the client connection is done."""
        if req.target.split("?")[0] in ("/__faults", "/__faults/"):
            await read_body(req, reader)
            writer.write(self.control(req))
            await writer.drain()
            return True
        service = service_of(req)
        flavour = flavour_of(req, service)
        st = self.stats
        st.requests += 1
        st.requests_by_flavour[flavour] += 1
        st.requests_by_service[service or "?"] = st.requests_by_service.get(service or "?", 0) + 1
        fault, delay = self.draw()
        if fault in ("throttle", "error_500", "error_503"):
            st.faults[fault] += 1
            if fault == "throttle":
                st.throttle_by_flavour[flavour] += 1
                status, code, msg = THROTTLE[flavour]
            else:
                status = 500 if fault == "error_500" else 503
                code = ERROR_CODES[flavour][0 if status == 500 else 1]
                msg = "We encountered an internal error. Please try again."
            if req.header("expect"):
                writer.write(error_response(req, flavour, status, code, msg))
                await writer.drain()
                return False
            await read_body(req, reader)
            writer.write(error_response(req, flavour, status, code, msg))
            await writer.drain()
            return True
        if req.header("expect").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
            req.head = without_expect(req.head)
        await read_body(req, reader)
        if fault == "truncate" and not is_read(req, flavour):
            fault = None          # the action may be in the body: known only now
        if fault == "reset":
            st.faults["reset"] += 1
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if delay:
            st.faults["slow"] += 1
            await asyncio.sleep(delay)
        try:
            head, body = await up.exchange(req.head + req.body, req.method)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            st.upstream_errors += 1
            msg = ("faultproxy: upstream %s:%d: %s\n" % (self.up_host, self.up_port, e)).encode()
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(msg) + msg)
            await writer.drain()
            return False
        st.forwarded += 1
        if fault == "truncate" and body:
            st.faults["truncate"] += 1
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            return False
        writer.write(head + body)
        await writer.drain()
        return req.header("connection").lower() != "close"


async def watch_parent(ppid):
    while os.getppid() == ppid:
        await asyncio.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def parse_slow(text):
    lo, sep, hi = text.partition("-")
    lo = int(lo)
    hi = int(hi) if sep else lo
    if lo < 0 or hi < lo:
        raise argparse.ArgumentTypeError("expected MIN-MAX milliseconds, e.g. 100-800")
    return lo, hi


def probability(text):
    v = float(text)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError("%s is not a probability (0..1)" % text)
    return v


async def main_async(args):
    cfg = Config(args)
    cfg.update({})
    proxy = Proxy(cfg, args.upstream)
    host, _, port = args.listen.rpartition(":")
    server = await asyncio.start_server(proxy.serve, host or "127.0.0.1", int(port),
                                        limit=MAX_HEAD, backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print("faultproxy: listening on http://%s:%d -> %s" % (host or "127.0.0.1", port, args.upstream),
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.ensure_future(watch_parent(os.getppid()))
    await stop.wait()
    watcher.cancel()
    server.close()
    report = json.dumps(proxy.stats.as_json(cfg), indent=1)
    if args.stats_file:
        with open(args.stats_file, "w") as f:
            f.write(report + "\n")
    print("faultproxy: " + report, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="http://HOST:PORT of the real endpoint")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (default 127.0.0.1:0)")
    for name in ("throttle", "error", "reset", "truncate", "slow"):
        ap.add_argument("--" + name, type=probability, default=0.0, metavar="P")
    ap.add_argument("--slow-ms", type=parse_slow, default=(200, 2000), metavar="MIN-MAX")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--stats-file", help="write the counters here on exit")
    args = ap.parse_args()
    if args.throttle + args.error + args.reset + args.truncate > 1.0:
        ap.error("--throttle + --error + --reset + --truncate exceed 1")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
