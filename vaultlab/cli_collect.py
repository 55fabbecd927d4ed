"""The live-system commands: `inventory collect`, `policies collect`, `collect vault
--print-policy`, `leak` and `policies suggest`. Thin wrappers, like cli.py."""

from __future__ import annotations

import argparse
import sys

from . import output
from .errors import VaultlabError


def _open(args):
    from .cli import _open

    return _open(args)


def _vault_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Vault (as the vault command: VAULT_ADDR, VAULT_TOKEN or ~/.vault-token, "
                                      "VAULT_NAMESPACE, VAULT_CACERT, VAULT_SKIP_VERIFY)")
    group.add_argument("--address", help="Vault's address (default $VAULT_ADDR)")
    group.add_argument("--namespace", help="Vault Enterprise / OpenBao namespace (default $VAULT_NAMESPACE)")
    group.add_argument("--ca-cert", help="CA bundle for Vault's TLS certificate (default $VAULT_CACERT)")
    group.add_argument("--skip-verify", action="store_true", default=None,
                       help="do not verify Vault's TLS certificate (default $VAULT_SKIP_VERIFY)")


def _collect(args):
    if args.system == "vault":
        from .collect.vault import collect_vault

        return collect_vault(args.address, None, args.namespace, args.ca_cert, args.skip_verify,
                             concurrency=args.concurrency, progress=None if not args.quiet else False)
    from .collect.aws import collect_aws

    return collect_aws(args.region or None, profile=args.profile, progress=None if not args.quiet else False)


def _summary(collected) -> str:
    return (f"{collected.store} {collected.source}: {len(collected.secrets)} secret(s), "
            f"{len(collected.policies)} polic{'y' if len(collected.policies) == 1 else 'ies'}, "
            f"{len(collected.gaps)} path(s) not readable, {collected.requests} request(s)")


def cmd_inventory_collect(args) -> int:
    from .collect import store_collected

    collected = _collect(args)
    with _open(args) as wh:
        store_collected(wh, collected, inventory=True, policies=args.system == "aws", baseline=False)
    print(_summary(collected))
    for gap in collected.gaps:
        print(f"not readable: {gap['path']}: {gap['reason']}", file=sys.stderr)
    return 0


def cmd_policies_collect(args) -> int:
    from .collect import store_collected

    collected = _collect(args)
    with _open(args) as wh:
        store_collected(wh, collected, inventory=False, policies=True, baseline=args.baseline)
    kind = "baseline" if args.baseline else "snapshot"
    print(f"{kind}: {len(collected.policies)} polic{'y' if len(collected.policies) == 1 else 'ies'} from "
          f"{collected.source}: {', '.join(sorted(collected.policies))}")
    return 0


def cmd_collect(args) -> int:
    if not args.print_policy:
        raise VaultlabError(f"`vaultlab collect {args.system}` only prints the collector's policy (--print-policy); "
                            f"collect with `vaultlab inventory collect {args.system}`")
    if args.system == "aws":
        import json

        from .collect.aws import MINIMAL_IAM_POLICY

        print(json.dumps(MINIMAL_IAM_POLICY, indent=2))
    else:
        from .collect.vault import READ_ONLY_POLICY

        sys.stdout.write(READ_ONLY_POLICY)
    return 0


def cmd_leak(args) -> int:
    from .collect.vault import vault_client
    from .leak import audit_hmac, blast_radius, read_value

    value = read_value()
    digest = audit_hmac(vault_client(args.address, None, args.namespace, args.ca_cert, args.skip_verify),
                        args.audit_device, value)
    del value
    print(f"HMAC under {args.audit_device}: {digest}")
    with _open(args) as wh:
        incident = blast_radius(wh, digest, start=args.start, end=args.end)
    for title, frame in (("events carrying it", incident.accesses), ("identities and tokens to revoke",
                                                                     incident.to_revoke)):
        print()
        print(title)
        sys.stdout.write(output.render(frame.columns, frame.rows(), args.format))
    if incident.accesses.height:
        print(f"\nblast radius notebook: papermill notebooks/incident.ipynb incident.ipynb -p token {digest} "
              f"-p start {incident.window.start.date()} -p end {incident.window.end.date()}")
    return 0


def cmd_policies_suggest(args) -> int:
    import json

    from . import policy_suggest
    from .cli import _period

    with _open(args) as wh:
        suggestion = policy_suggest.suggest_policy(wh, args.actor, _period(args), min_siblings=args.min_siblings)
    if args.format == "json":
        print(json.dumps(policy_suggest.as_dict(suggestion), indent=2, default=str))
        return 0
    sys.stdout.write("\n".join(suggestion.diffs.values()) + "\n" if args.diff else suggestion.hcl)
    sys.stderr.write(policy_suggest.review(suggestion))
    return 0


def add_commands(sub, inventory, policies, *, shared, configured, formatted, period) -> None:
    q = inventory.add_parser("collect", parents=[shared, configured],
                             help="a dated snapshot of a live Vault or AWS Secrets Manager (metadata only)")
    q.add_argument("system", choices=["vault", "aws"])
    _vault_options(q)
    q.add_argument("--concurrency", type=int, default=4,
                   help="Vault requests in flight (default 4; more for a distant Vault, where latency dominates)")
    q.add_argument("--region", action="append", help="AWS region (repeatable; default every enabled region)")
    q.add_argument("--profile", help="AWS profile (default the standard credential chain)")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=cmd_inventory_collect)

    q = policies.add_parser("collect", parents=[shared, configured],
                            help="Vault's ACL policies, or AWS secrets' resource policies, as a snapshot")
    q.add_argument("system", choices=["vault", "aws"])
    _vault_options(q)
    q.add_argument("--region", action="append", help="AWS region (repeatable; default every enabled region)")
    q.add_argument("--profile", help="AWS profile (default the standard credential chain)")
    q.add_argument("--baseline", action="store_true", help="mark this set as the approved baseline")
    q.set_defaults(func=cmd_policies_collect, concurrency=4, quiet=False)

    q = policies.add_parser("suggest", parents=[shared, configured, period],
                            help="a least-privilege policy for an actor from its observed requests")
    q.add_argument("--actor", required=True, help="an actor id or actor_name of the events view")
    q.add_argument("--min-siblings", type=int, default=3,
                   help="paths in one folder with the same capabilities that become folder/* (default 3)")
    q.add_argument("--diff", action="store_true", help="print a unified diff against each held policy instead")
    q.add_argument("--format", choices=["hcl", "json"], default="hcl")
    q.set_defaults(func=cmd_policies_suggest)

    p = sub.add_parser("collect", help="what the live collectors need")
    p.add_argument("system", choices=["vault", "aws"])
    p.add_argument("--print-policy", action="store_true",
                   help="print the minimal read-only policy (Vault HCL, or an AWS IAM policy)")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("leak", parents=[shared, formatted],
                       help="events carrying a leaked value or token (read from standard input), via sys/audit-hash")
    p.add_argument("--audit-device", required=True, help="the audit device whose HMAC the log holds (e.g. file/)")
    p.add_argument("--from", dest="start", help="window start (default the first event)")
    p.add_argument("--to", dest="end", help="window end (default after the last event)")
    _vault_options(p)
    p.set_defaults(func=cmd_leak)
