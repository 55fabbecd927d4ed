"""`vaultlab leak`: the events carrying a leaked value or token, found by its audit HMAC."""

from __future__ import annotations

import sys

from vaultlab import output
from vaultlab.cli.common import open_warehouse
from vaultlab.cli.snapshots import vault_options
from vaultlab.collect.leak import audit_hmac, read_value
from vaultlab.queries.incident import blast_radius
from vaultlab.warehouse import require_warehouse


def cmd_leak(args) -> int:
    from vaultlab.collect.vault import vault_client

    require_warehouse(args.db)  # before the value is read: a typo in --db creates nothing
    value = read_value()
    digest = audit_hmac(vault_client(args.address, None, args.namespace, args.ca_cert, args.skip_verify),
                        args.audit_device, value)
    del value
    print(f"HMAC under {args.audit_device}: {digest}")
    with open_warehouse(args, create=False) as wh:
        incident = blast_radius(wh, digest, start=args.start, end=args.end)
    for title, frame in (("events carrying it", incident.accesses),
                         ("identities and tokens to revoke", incident.to_revoke)):
        print()
        print(title)
        sys.stdout.write(output.render(frame.columns, frame.rows(), args.format))
    if incident.accesses.height:
        print(f"\nblast radius notebook: papermill notebooks/incident.ipynb incident.ipynb -p token {digest} "
              f"-p start {incident.window.start.date()} -p end {incident.window.end.date()}")
    return 0


def register(sub, options) -> None:
    p = sub.add_parser("leak", parents=[options.db, options.formatted],
                       help="events carrying a leaked value or token (read from standard input), via sys/audit-hash",
                       description="Find every event carrying a leaked value, by its audit HMAC; the value is read "
                                   "from standard input. Example: vaultlab leak --audit-device file/ < value.txt")
    p.add_argument("--audit-device", required=True, help="the audit device whose HMAC the log holds (e.g. file/)")
    p.add_argument("--from", dest="start", help="window start (default the first event)")
    p.add_argument("--to", dest="end", help="window end (default after the last event)")
    vault_options(p)
    p.set_defaults(func=cmd_leak)
