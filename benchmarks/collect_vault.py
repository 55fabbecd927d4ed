"""Live Vault collection: `collect_vault()` against the test Vault with 100,000 KV v2 secrets.

    python benchmarks/collect_vault.py                      # 100,000 secrets, LIST in pages (OpenBao)
    python benchmarks/collect_vault.py --vault              # LIST answered whole, as Vault does
    python benchmarks/collect_vault.py --secrets 20000 --concurrency 16 --tokens 1000

The server (tests/vault_server.py, real HTTP on 127.0.0.1, 1,000 secrets a folder) runs in a
child process so that it does not share the collector's GIL; the collector runs in this process,
so the peak RSS printed is the collector's own. It prints seconds, the collector's CPU seconds
(on a shared machine the wall clock counts other work too), HTTP requests, requests/s and peak
RSS, and checks that every secret (and token) was collected and that no gap was recorded.

Targets (issue: live collectors): 100,000 secrets within 60 s, with memory bounded (a crawl
keeps a bounded window of requests in flight; what grows is the result itself).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from vault_server import vault_server_process

    from vaultlab.collect.vault import collect_vault

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secrets", type=int, default=100_000)
    parser.add_argument("--per-folder", type=int, default=1000, help="secrets per folder (default 1000)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=0, help="token accessors to look up as well")
    parser.add_argument("--vault", action="store_true",
                        help="LIST answers whole, as Vault's do (default: in pages, as OpenBao's)")
    args = parser.parse_args()

    started = time.perf_counter()
    with vault_server_process(n_secrets=args.secrets, per_folder=args.per_folder, n_tokens=args.tokens,
                              paginate=not args.vault) as (url, token):
        print(f"test Vault with {args.secrets:,} secrets ready in {time.perf_counter() - started:.1f} s at {url}")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start, cpu = time.perf_counter(), time.process_time()
        collected = collect_vault(url, token, concurrency=args.concurrency, progress=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kv = [row for row in collected.secrets if row["name"].startswith("secret/")]
    assert len(kv) == args.secrets, f"collected {len(kv):,} of {args.secrets:,} secrets"
    assert not collected.gaps, collected.gaps
    assert len(collected.facts.get("tokens", [])) == args.tokens
    print(json.dumps({"secrets": len(kv), "tokens": args.tokens, "server": "vault" if args.vault else "openbao",
                      "concurrency": args.concurrency, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                      "requests": collected.requests, "requests_per_s": round(collected.requests / seconds),
                      "peak_rss_mb": round(peak), "rss_before_collect_mb": round(rss_before)}))


if __name__ == "__main__":
    main()
