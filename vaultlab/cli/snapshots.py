"""Snapshots: `inventory load|collect`, `policies load|collect`, `collect --print-policy`,
`verify-cloudtrail`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vaultlab.cli.common import count, open_warehouse
from vaultlab.errors import VaultlabError
from vaultlab.period import parse_period
from vaultlab.snapshots import cloudtrail_digest
from vaultlab.snapshots.collected import store_collected
from vaultlab.snapshots.integrity import record_integrity
from vaultlab.snapshots.inventory import load_inventory
from vaultlab.snapshots.policies import load_policies
from vaultlab.warehouse import default_db_path

STORES = ["vault", "aws"]  # the stores the live collectors read


def vault_options(parser: argparse.ArgumentParser) -> None:
    """Where Vault is, as the `vault` command takes it."""
    group = parser.add_argument_group("Vault (as the vault command: VAULT_ADDR, VAULT_TOKEN or ~/.vault-token, "
                                      "VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY)")
    group.add_argument("--address", help="Vault's address (default $VAULT_ADDR)")
    group.add_argument("--namespace", help="Vault Enterprise / OpenBao namespace (default $VAULT_NAMESPACE)")
    group.add_argument("--ca-cert", help="CA bundle for Vault's TLS certificate (default $VAULT_CACERT)")
    group.add_argument("--skip-verify", action="store_true", default=None,
                       help="do not verify Vault's TLS certificate (default $VAULT_SKIP_VERIFY)")


def _as_of(args):
    return parse_period(as_of=args.as_of).end if args.as_of else None


def cmd_inventory_load(args) -> int:
    with open_warehouse(args) as wh:
        result = load_inventory(wh, args.files, as_of=_as_of(args), default_store=args.store)
    print(f"snapshot {result.snapshot_id}: {result.rows_loaded} secret(s) loaded, "
          f"{len(result.rejects)} row(s) rejected")
    for path, row, reason in result.rejects:
        print(f"rejected: {path} row {row}: {reason}", file=sys.stderr)
    return 0


def cmd_policies_load(args) -> int:
    with open_warehouse(args) as wh:
        snapshot_id, names = load_policies(wh, args.paths, baseline=args.baseline, as_of=_as_of(args))
    kind = "baseline" if args.baseline else "snapshot"
    print(f"{kind} {snapshot_id}: {len(names)} polic{'y' if len(names) == 1 else 'ies'}: {', '.join(names)}")
    return 0


def _collect(args):
    if args.store == "vault":
        from vaultlab.collect.vault import collect_vault

        return collect_vault(args.address, None, args.namespace, args.ca_cert, args.skip_verify,
                             concurrency=args.concurrency, progress=None if not args.quiet else False)
    from vaultlab.collect.aws import collect_aws

    return collect_aws(args.region or None, profile=args.profile, progress=None if not args.quiet else False)


def cmd_inventory_collect(args) -> int:
    collected = _collect(args)
    with open_warehouse(args) as wh:
        store_collected(wh, collected, inventory=True, policies=args.store == "aws", baseline=False)
    print(f"{collected.store} {collected.source}: {len(collected.secrets)} secret(s), "
          f"{len(collected.policies)} polic{'y' if len(collected.policies) == 1 else 'ies'}, "
          f"{len(collected.gaps)} path(s) not readable, {collected.requests} request(s)")
    for gap in collected.gaps:
        print(f"not readable: {gap['path']}: {gap['reason']}", file=sys.stderr)
    return 0


def cmd_policies_collect(args) -> int:
    collected = _collect(args)
    with open_warehouse(args) as wh:
        store_collected(wh, collected, inventory=False, policies=True, baseline=args.baseline)
    kind = "baseline" if args.baseline else "snapshot"
    print(f"{kind}: {len(collected.policies)} polic{'y' if len(collected.policies) == 1 else 'ies'} from "
          f"{collected.source}: {', '.join(sorted(collected.policies))}")
    return 0


def cmd_collect(args) -> int:
    if not args.print_policy:
        raise VaultlabError(f"`vaultlab collect {args.store}` only prints the collector's policy (--print-policy); "
                            f"collect with `vaultlab inventory collect {args.store}`")
    if args.store == "aws":
        from vaultlab.collect.aws import MINIMAL_IAM_POLICY

        print(json.dumps(MINIMAL_IAM_POLICY, indent=2))
    else:
        from vaultlab.collect.vault import READ_ONLY_POLICY

        sys.stdout.write(READ_ONLY_POLICY)
    return 0


def cmd_verify_cloudtrail(args) -> int:
    report = cloudtrail_digest.verify_cloudtrail(args.location, public_key_file=args.public_keys, online=args.online)
    sys.stdout.write(cloudtrail_digest.render(report, args.format))
    db = Path(args.db) if args.db else default_db_path()
    if db.exists():  # the audit-coverage checks read the latest run
        with open_warehouse(args) as wh:
            record_integrity(wh, report)
        print(f"recorded in {db}", file=sys.stderr)
    return 0 if report.ok else 1


def _live_options(q) -> None:
    q.add_argument("store", choices=STORES)
    vault_options(q)
    q.add_argument("--region", action="append", help="AWS region (repeatable; default every enabled region)")
    q.add_argument("--profile", help="AWS profile (default the standard credential chain)")


def register(sub, groups, options) -> None:
    both = [options.db, options.configured]
    q = groups.inventory.add_parser("load", parents=both, help="load CSV / JSON / YAML inventory files",
                                    description="A dated inventory snapshot from files. "
                                                "Example: vaultlab inventory load inventory.csv --store vault")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--store", default="vault", help="store of rows that name none (default vault)")
    q.add_argument("--as-of", help="when the inventory was true (default now)")
    q.set_defaults(func=cmd_inventory_load)

    q = groups.inventory.add_parser("collect", parents=both,
                                    help="a dated snapshot of a live Vault or AWS Secrets Manager (metadata only)",
                                    description="Collect a live store's inventory without reading a secret value. "
                                                "Example: VAULT_ADDR=https://vault:8200 vaultlab inventory collect "
                                                "vault")
    _live_options(q)
    q.add_argument("--concurrency", type=count(1), default=4,
                   help="Vault requests in flight (default 4; more for a distant Vault, where latency dominates)")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=cmd_inventory_collect)

    q = groups.policies.add_parser("load", parents=both, help="load .hcl policy files or folders",
                                   description="Vault ACL policies from .hcl files as one dated snapshot. "
                                               "Example: vaultlab policies load policies/ --baseline")
    q.add_argument("paths", nargs="+", metavar="PATH")
    q.add_argument("--baseline", action="store_true", help="mark this set as the approved baseline")
    q.add_argument("--as-of", help="when the policies were in force (default now)")
    q.set_defaults(func=cmd_policies_load)

    q = groups.policies.add_parser("collect", parents=both,
                                   help="Vault's ACL policies, or AWS secrets' resource policies, as a snapshot",
                                   description="Collect a live store's policies as a snapshot. "
                                               "Example: vaultlab policies collect vault --baseline")
    _live_options(q)
    q.add_argument("--baseline", action="store_true", help="mark this set as the approved baseline")
    q.set_defaults(func=cmd_policies_collect, concurrency=4, quiet=False)

    p = sub.add_parser("collect", help="what the live collectors need",
                       description="Print the minimal read-only policy a collector needs. "
                                   "Example: vaultlab collect vault --print-policy")
    p.add_argument("store", choices=STORES)
    p.add_argument("--print-policy", action="store_true",
                   help="print the minimal read-only policy (Vault HCL, or an AWS IAM policy)")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("verify-cloudtrail", parents=[options.db],
                       help="validate CloudTrail digest files and the log files they list, as `aws cloudtrail "
                            "validate-logs` does; recorded in the warehouse if there is one; exit 0 valid, 1 not",
                       description="Validate CloudTrail digests and log files. "
                                   "Example: vaultlab verify-cloudtrail trail/ --public-keys keys.json")
    cloudtrail_digest.add_arguments(p)
    p.set_defaults(func=cmd_verify_cloudtrail)
