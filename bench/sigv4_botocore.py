#!/usr/bin/env python3
"""The botocore half of bench/sigv4.

  sigv4_botocore.py gen N SEED > specs.jsonl   requests, as JSON lines
  sigv4_botocore.py time PASSES < specs.jsonl  botocore signing them

The requests are those of tests/sigv4_differential.py (every method, paths
and queries with reserved and unicode characters, repeated headers, tokens,
S3 and not, bodies, presigning), with credentials, regions and services
drawn from a small pool, as tidepool's traffic is: a few dozen accounts x
regions x services, each signing many requests. So tidepool's key cache
hits; botocore derives the key for every request, which is what it does.

`time` signs each request the way botocore does for a real call (a signer
instance and an AWSRequest per request, add_auth), best of PASSES passes,
and prints "botocore us_per_signature=X n=N".
"""
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
import sigv4_differential as diff                                   # noqa: E402

ACCOUNTS = 6
REGIONS = ['us-east-1', 'eu-west-1']
SERVICES = ['sts', 'cloudformation', 'dynamodb']


def gen(n, seed):
    rng = random.Random(seed)
    pool = [(f'AKIDBENCH{i:011d}', f'{i}' * 40, rng.choice([None, 'FwoGZXIvYXdzE' * 20]))
            for i in range(ACCOUNTS)]
    for _ in range(n):
        spec = diff.gen_spec(rng)
        spec['access_key'], spec['secret'], spec['token'] = rng.choice(pool)
        spec['region'] = rng.choice(REGIONS)
        if not spec['s3']:
            spec['service'] = rng.choice(SERVICES)
        spec['time'] = 0                       # both sides sign at the current time
        sys.stdout.write(json.dumps(spec) + '\n')


def prepare(spec):
    """Everything but the signing itself, done before the clock starts."""
    from botocore.credentials import Credentials
    creds = Credentials(spec['access_key'], spec['secret'], spec['token'])
    url = 'https://' + spec['host'] + spec['path']
    if spec['query'] is not None:
        url += '?' + spec['query']
    cls = {(False, False): diff.botocore.auth.SigV4Auth,
           (True, False): diff.botocore.auth.S3SigV4Auth,
           (False, True): diff.botocore.auth.SigV4QueryAuth,
           (True, True): diff.botocore.auth.S3SigV4QueryAuth}[(spec['s3'], spec['presign'])]
    kwargs = {'expires': spec['expires'] or 3600} if spec['presign'] else {}
    return (cls, creds, spec['service'], spec['region'], kwargs, spec['method'], url,
            spec['headers'], bytes.fromhex(spec['body_hex']))


def sign_all(prepared):
    AWSRequest = diff.AWSRequest
    for cls, creds, service, region, kwargs, method, url, headers, body in prepared:
        req = AWSRequest(method=method, url=url, data=body)
        for name, value in headers:
            req.headers[name] = value
        cls(creds, service, region, **kwargs).add_auth(req)


def time_botocore(passes):
    prepared = [prepare(json.loads(line)) for line in sys.stdin if line.strip()]
    best = None
    for _ in range(passes):
        t0 = time.perf_counter()
        sign_all(prepared)
        t = time.perf_counter() - t0
        best = t if best is None or t < best else best
    print(f'botocore us_per_signature={best * 1e6 / len(prepared):.3f} n={len(prepared)}')


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'gen':
        gen(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == 'time':
        time_botocore(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
