#!/usr/bin/env python3
"""Differential test: aws/sigv4 against botocore's SigV4 signer (the oracle).

Generates random requests (methods, unicode and reserved characters in paths
and queries, repeated and empty query keys, header whitespace and repeated
headers, session tokens, S3 and non-S3, bodies, UNSIGNED-PAYLOAD, presigned
URLs), signs each with botocore at a frozen time and with tidepool through
tests/sigv4_sign_stdin, and compares the Authorization header (header
signing) or the X-Amz-Signature and X-Amz-SignedHeaders (presigning).

Both sides see the same wire bytes. botocore signs urlsplit(url).path and
.query as they are (its serializers always produce canonical percent
encoding), while tidepool decodes and re-encodes the query as a server does;
so queries are generated in canonical wire form (each key and value
quote(..., safe='-_.~')), paths in any wire form.

Requests the two legitimately disagree on are generated now and then but not
compared; they are counted and printed with the reason (EXCLUSIONS). Some
differences are not generated at all, each for a reason:
  - the Date header: botocore re-signs Date instead of X-Amz-Date;
  - User-Agent, Expect, X-Amzn-Trace-Id and the hop-by-hop headers: botocore
    never signs them, tidepool signs every header it is given (its caller
    passes only what it means to sign);
  - X-Amz-Content-SHA256 given by the caller outside S3: botocore takes its
    value as the payload hash, tidepool hashes the payload it is given;
  - header values with line breaks: botocore folds them to spaces, tidepool
    joins the lines with ',' as AWS's test suite (get-header-value-multiline)
    expects; and whitespace other than space and tab (Python's str.split()
    also splits on \x1c-\x1f and Unicode spaces, HTTP does not);
  - queries outside canonical percent-encoding (raw '+', '/', UTF-8, lower-
    case hex): botocore signs them byte for byte (its serializers never make
    them), tidepool decodes and re-encodes as AWS does server-side (unit
    tests and get-vanilla-utf8-query cover that);
  - a body on a presigned request: botocore moves it into the query.

  sigv4_differential.py --driver build/tests/sigv4_sign_stdin
      [--count N] [--seed S] [--random-count N] [--random-seed S]

The first batch uses a fixed seed; a second batch uses a fresh seed that is
printed, so any failure can be replayed with --seed S --random-count 0.
Prints mismatches, then "N identical, N different"; exits 1 on any
difference or driver failure, 77 (skipped) without botocore.
"""
import argparse
import datetime
import json
import random
import subprocess
import sys
from unittest import mock
from urllib.parse import quote, urlsplit, parse_qs

try:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
except ImportError:
    print('botocore is not installed (pip install botocore): skipped')
    sys.exit(77)                                # ctest's SKIP_RETURN_CODE

FIXED_SEED = 20150830

EXCLUSIONS = {
    'empty-query-segment':
        'an empty query segment ("a=1&&b=2", a leading or trailing "&") '
        'carries no parameter: tidepool drops it, botocore signs it as "="; '
        'neither serializer ever produces one',
    'presign-repeated-key':
        "botocore's presigner rebuilds the query with parse_qs and keeps only "
        'the first value of a repeated key, so it signs a different request',
}

METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS']
SERVICES = ['sts', 'iam', 'cloudformation', 'execute-api', 'dynamodb',
            'sqs', 'lambda', 'organizations', 'service']
REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1',
           'cn-north-1']
HOSTS = ['example.amazonaws.com', 'sts.us-east-1.amazonaws.com',
         'bucket.s3.eu-west-1.amazonaws.com', '127.0.0.1:5000',
         'localhost:4566', '[::1]:8080']
UNICODE = ['ሴ', 'é', 'ü', '日本', '😀', 'Ω', 'ß', '\u00a0', '中文', 'ñ']
RESERVED = list("!$&'()*+,;=:@/?#[]%\" <>^`{|}\\")
SUB_DELIMS = list("!$&'()*+,;=:@")     # legal unencoded in a wire path
# Header names the signer or botocore treat specially are left out:
# Date (botocore re-signs it instead of X-Amz-Date), the hop-by-hop and
# User-Agent/Expect/X-Amzn-Trace-Id headers botocore never signs, and
# X-Amz-Content-SHA256 outside S3 (botocore takes its value as the payload
# hash; tidepool hashes the payload it is given).
HEADER_NAMES = ['Content-Type', 'content-type', 'Content-Length', 'X-Amz-Target',
                'x-amz-meta-owner', 'X-AMZ-META-OWNER', 'My-Header1', 'my-header1',
                'Accept', 'X-Custom', 'x-amz-acl', 'Range', 'If-Match',
                'Cache-Control', 'Content-MD5']
PRESIGN_BAD_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8'


def rand_text(rng, alphabet_mix):
    """A short string mixing unreserved, reserved and unicode characters."""
    out = []
    for _ in range(rng.randint(0, 8)):
        kind = rng.choice(alphabet_mix)
        if kind == 'word':
            out.append(rng.choice(['a', 'Ab', 'key', 'Value', 'x1', '-', '_',
                                   '.', '~', 'Z9', 'prefix']))
        elif kind == 'reserved':
            out.append(rng.choice(RESERVED))
        elif kind == 'unicode':
            out.append(rng.choice(UNICODE))
        elif kind == 'space':
            out.append(' ')
    return ''.join(out)


def path_segment(rng):
    r = rng.random()
    if r < 0.08:
        return rng.choice(['.', '..'])
    if r < 0.14:
        return ''                                       # "//"
    if r < 0.22:
        return rng.choice(['%2F', '%20', '%25', '%2e%2e', '%7E', '%c3%a9'])
    if r < 0.30:
        return ''.join(rng.choice(SUB_DELIMS) for _ in range(rng.randint(1, 3)))
    if r < 0.36:
        return rng.choice(UNICODE)                      # raw, as in get-utf8
    return quote(rand_text(rng, ['word', 'word', 'reserved', 'unicode', 'space']),
                  safe='~')


def gen_path(rng):
    if rng.random() < 0.08:
        return '/'
    segs = [path_segment(rng) for _ in range(rng.randint(1, 5))]
    path = '/' + '/'.join(segs)
    if rng.random() < 0.3:
        path += '/'
    return path


def enc(s):
    return quote(s, safe='-_.~')


def gen_query(rng, presign):
    """Canonical wire form; sometimes with empty segments (excluded)."""
    r = rng.random()
    if r < 0.2:
        return None
    if r < 0.25:
        return ''
    parts = []
    keys = []
    for _ in range(rng.randint(1, 6)):
        if keys and rng.random() < (0.03 if presign else 0.25):
            k = rng.choice(keys)                        # repeated key
        elif rng.random() < 0.05:
            k = ''                                      # empty key
        else:
            k = rand_text(rng, ['word', 'word', 'reserved', 'unicode', 'space'])
        keys.append(k)
        v = rand_text(rng, ['word', 'reserved', 'unicode', 'space'])
        form = rng.random()
        if form < 0.15 and k:
            parts.append(enc(k))                        # "a" means "a="
        elif form < 0.25:
            parts.append(enc(k) + '=')
        else:
            parts.append(enc(k) + '=' + enc(v))
    if rng.random() < 0.04:
        parts.insert(rng.randrange(len(parts) + 1), '')  # "a&&b"
    return '&'.join(parts)


def header_value(rng):
    words = [rng.choice(['value1', 'a', 'b', 'c', '"a', 'b"', 'text/plain',
                         'x=1;y=2', '123', 'Mixed-Case', '*', ''])
             for _ in range(rng.randint(0, 4))]
    sep = lambda: rng.choice([' ', '  ', '\t', ' \t ', '   '])
    v = ''.join(w + sep() for w in words).rstrip(' \t') if words else ''
    if rng.random() < 0.5:
        v = sep() + v
    if rng.random() < 0.5:
        v = v + sep()
    return v


def gen_headers(rng, host, s3, presign):
    hosts = ['Host', 'host', 'HOST']
    headers = [(rng.choice(hosts), host)]
    for _ in range(rng.randint(0, 5)):
        name = rng.choice(HEADER_NAMES)
        value = header_value(rng)
        if presign and name.lower() == 'content-type' and value == PRESIGN_BAD_CONTENT_TYPE:
            continue
        headers.append((name, value))
    if not presign and rng.random() < 0.1:
        # A stale signer header from a previous attempt: both replace it.
        headers.append((rng.choice(['X-Amz-Date', 'x-amz-date', 'Authorization']),
                        'stale'))
    rng.shuffle(headers)
    return headers


def gen_spec(rng):
    s3 = rng.random() < 0.3
    presign = rng.random() < 0.2
    service = 's3' if s3 else rng.choice(SERVICES)
    host = rng.choice(HOSTS)
    body = b''
    # botocore's presigner moves a body into the query (form parameters);
    # a presigned URL carries none, so presigned requests get no body.
    if not presign and rng.random() < 0.4:
        body = rand_text(rng, ['word', 'reserved', 'unicode', 'space']).encode()
    spec = {
        'method': rng.choice(METHODS),
        'path': gen_path(rng),
        'query': gen_query(rng, presign),
        'headers': gen_headers(rng, host, s3, presign),
        'body_hex': body.hex(),
        'payload_hash': None,
        'access_key': 'AKID' + ''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')
                                       for _ in range(16)),
        'secret': ''.join(rng.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/')
                          for _ in range(40)),
        'token': None,
        'region': rng.choice(REGIONS),
        'service': service,
        'time': rng.randint(1262304000, 1893456000),   # 2010..2030
        's3': s3,
        'content_sha256': False,
        'presign': presign,
        'expires': rng.choice([0, 60, 3600, 604800]),
        'host': host,
    }
    if rng.random() < 0.4:
        spec['token'] = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=')
                                for _ in range(rng.randint(20, 400)))
    if presign:
        if s3:
            spec['payload_hash'] = 'UNSIGNED-PAYLOAD'
    elif s3:
        spec['content_sha256'] = True                  # S3 always sends it
        if rng.random() < 0.25:
            spec['payload_hash'] = 'UNSIGNED-PAYLOAD'
    elif rng.random() < 0.2:
        spec['content_sha256'] = True
        if rng.random() < 0.5:
            spec['payload_hash'] = 'UNSIGNED-PAYLOAD'
    return spec


def exclusion(spec):
    """The EXCLUSIONS key that applies to spec, or None."""
    q = spec['query']
    if q is not None and q != '' and '' in q.split('&'):
        return 'empty-query-segment'
    if spec['presign'] and q:
        keys = [p.partition('=')[0] for p in q.split('&')]
        if len(keys) != len(set(keys)):
            return 'presign-repeated-key'
    return None


def capturing(cls):
    """cls, remembering the canonical request it signed (for reports)."""
    class Capturing(cls):
        def string_to_sign(self, request, canonical_request):
            self.last_canonical_request = canonical_request
            return super().string_to_sign(request, canonical_request)
    return Capturing


SIGNERS = {
    (False, False): capturing(botocore.auth.SigV4Auth),
    (True, False): capturing(botocore.auth.S3SigV4Auth),
    (False, True): capturing(botocore.auth.SigV4QueryAuth),
    (True, True): capturing(botocore.auth.S3SigV4QueryAuth),
}


def botocore_sign(spec):
    """(result, canonical request): Authorization, or (signature, signed headers)."""
    creds = Credentials(spec['access_key'], spec['secret'], spec['token'])
    cls = SIGNERS[(spec['s3'], spec['presign'])]
    if spec['presign']:
        signer = cls(creds, spec['service'], spec['region'],
                     expires=spec['expires'] or 3600)
    else:
        signer = cls(creds, spec['service'], spec['region'])
    url = 'https://' + spec['host'] + spec['path']
    if spec['query'] is not None:
        url += '?' + spec['query']
    req = AWSRequest(method=spec['method'], url=url, data=bytes.fromhex(spec['body_hex']))
    for name, value in spec['headers']:
        req.headers[name] = value                      # appends: repeats kept
    if spec['payload_hash'] == 'UNSIGNED-PAYLOAD' and not spec['presign']:
        if spec['s3']:
            req.context['client_config'] = Config(s3={'payload_signing_enabled': False})
        else:
            req.context['payload_signing_enabled'] = False
    elif spec['content_sha256'] and not spec['s3']:
        # tidepool's content_sha256 option: the header carries the payload hash.
        req.headers['X-Amz-Content-SHA256'] = botocore.auth.sha256(
            bytes.fromhex(spec['body_hex'])).hexdigest()
    now = datetime.datetime.fromtimestamp(spec['time'], datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch('botocore.auth.get_current_datetime', return_value=now):
        signer.add_auth(req)
    if spec['presign']:
        qs = parse_qs(urlsplit(req.url).query, keep_blank_values=True)
        return ((qs['X-Amz-Signature'][0], qs['X-Amz-SignedHeaders'][0]),
                signer.last_canonical_request)
    return req.headers['Authorization'], signer.last_canonical_request


def tidepool_result(res):
    if 'error' in res:
        return None
    if 'query' in res:
        qs = parse_qs(res['query'].rpartition('&X-Amz-Signature=')[0], keep_blank_values=True)
        signed = qs.get('X-Amz-SignedHeaders', [''])[-1]
        return (res['signature'], signed)
    return res['authorization']


def run_driver(driver, specs):
    lines = ''.join(json.dumps({k: v for k, v in s.items() if k != 'host'}) + '\n'
                    for s in specs)
    proc = subprocess.run([driver], input=lines, capture_output=True, text=True,
                          encoding='utf-8')
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f'{driver} exited with {proc.returncode}')
    out = [json.loads(l) for l in proc.stdout.splitlines()]
    if len(out) != len(specs):
        raise SystemExit(f'{driver}: {len(out)} results for {len(specs)} requests')
    return out


def batch(driver, seed, count, report):
    rng = random.Random(seed)
    specs = [gen_spec(rng) for _ in range(count)]
    compared = []
    for i, s in enumerate(specs):
        why = exclusion(s)
        if why:
            report['excluded'][why] = report['excluded'].get(why, 0) + 1
        else:
            compared.append((i, s))
    results = run_driver(driver, [s for _, s in compared])
    for (i, spec), res in zip(compared, results):
        want, creq = botocore_sign(spec)
        got = tidepool_result(res)
        if got == want:
            report['identical'] += 1
            continue
        report['different'] += 1
        if report['different'] <= 20:
            print(f'MISMATCH seed={seed} #{i}: {json.dumps(spec, ensure_ascii=False)}')
            print(f'  botocore: {want}')
            print(f'  tidepool: {got if got is not None else res.get("error")}')
            print('  botocore canonical request:\n    ' + creq.replace('\n', '\n    '))
            print('  tidepool canonical request:\n    ' +
                  res.get('canonical_request', '').replace('\n', '\n    '))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--driver', required=True)
    ap.add_argument('--count', type=int, default=600)
    ap.add_argument('--seed', type=int, default=FIXED_SEED)
    ap.add_argument('--random-count', type=int, default=400)
    ap.add_argument('--random-seed', type=int, default=None)
    args = ap.parse_args()

    report = {'identical': 0, 'different': 0, 'excluded': {}}
    batch(args.driver, args.seed, args.count, report)
    if args.random_count:
        seed = args.random_seed if args.random_seed is not None else random.SystemRandom().randrange(2**32)
        print(f'second batch (replay: --seed {seed} --count {args.random_count} --random-count 0)')
        batch(args.driver, seed, args.random_count, report)
    for why, n in sorted(report['excluded'].items()):
        print(f'excluded {n}: {why}: {EXCLUSIONS[why]}')
    print(f"{report['identical']} identical, {report['different']} different")
    return 1 if report['different'] or not report['identical'] else 0


if __name__ == '__main__':
    sys.exit(main())
