"""``xiaofei serve | project | rebuild | projections failures|retry | import households | token create | demo |
events export``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from xiaofei import logs
from xiaofei.config import SettingsError, load_settings

log = logging.getLogger("xiaofei.cli")


def _services(args: argparse.Namespace):  # noqa: ANN202 - imported lazily to keep --help fast
    from xiaofei.bootstrap import build

    settings = load_settings(
        host=getattr(args, "host", None), port=getattr(args, "port", None),
    )
    logs.configure(settings.log_level)
    return build(settings)


def _print_first_admin(services) -> None:  # noqa: ANN001
    issued = services.access.issue_first_admin()
    if issued is not None:
        print("=" * 72, flush=True)
        print("First start: an admin token was created. It is shown ONCE; keep it safe:", flush=True)
        print(f"  {issued.secret}", flush=True)
        print("=" * 72, flush=True)


def load_demo(services) -> None:  # noqa: ANN001
    """Register the demo county, import its households, and issue a demo official token."""
    from xiaofei.demo import COUNTY, COUNTY_NAME, PROVINCE, demo_csv, load_employment_demo
    from xiaofei.domain.errors import AlreadyExists

    try:
        services.registry.register_county(COUNTY, COUNTY_NAME, PROVINCE, "system:demo")
    except AlreadyExists:
        pass
    result = services.importer.run(COUNTY, "demo-上犹县.csv", demo_csv(), "system:demo")
    print(f"demo county {COUNTY} {COUNTY_NAME}: {result.households} households "
          f"({'already loaded' if result.already_imported else f'{result.registered} registered'})", flush=True)
    if not result.already_imported:
        issued = services.access.issue("county_official", [COUNTY], None, "demo official", "system:demo")
        print(f"demo county_official token for {COUNTY} (shown once): {issued.secret}", flush=True)
        employer = load_employment_demo(services)
        issued = services.access.issue("employer", [], employer, "demo employer", "system:demo")
        print(f"demo employer {employer}: 8 workshops, 6 months of wage slips; token (shown once): {issued.secret}",
              flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from xiaofei.http.app import create_app

    services = _services(args)
    supervisor_stop = threading.Event()
    threading.Thread(target=services.database.supervise, args=(supervisor_stop,), name="pg-supervisor",
                     daemon=True).start()
    try:
        _print_first_admin(services)
        if args.demo:
            load_demo(services)
        if services.settings.run_projectors:
            services.start_projectors()
        settings = services.settings
        print(f"xiaofei on http://{settings.host}:{settings.port}  (API docs: /schema)", flush=True)
        if settings.workers > 1:
            # Worker processes build their own services from the same settings (and join the same database).
            uvicorn.run("xiaofei.http.app:worker_app", factory=True, workers=settings.workers, host=settings.host,
                        port=settings.port, log_config=None, access_log=False, lifespan="on")
        else:
            uvicorn.run(create_app(services), host=settings.host, port=settings.port, log_config=None,
                        access_log=False, lifespan="on")
    finally:
        supervisor_stop.set()
        services.close()
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    services = _services(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        services.start_projectors()
        print("projectors running; Ctrl-C to stop", flush=True)
        while not stop.wait(1.0):
            if not services.projectors_alive():
                log.error("a projector thread stopped")
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        services.close()
    return 0


def _known_projection(name: str) -> bool:
    from xiaofei.projectors.catalog import PROJECTIONS

    if name not in PROJECTIONS:
        print(f"unknown projection {name!r}; one of: {', '.join(PROJECTIONS)}", file=sys.stderr)
        return False
    return True


def cmd_rebuild(args: argparse.Namespace) -> int:
    from xiaofei.projectors.base import rebuild
    from xiaofei.projectors.catalog import PROJECTIONS

    if not _known_projection(args.name):
        return 2
    services = _services(args)
    try:
        applied = rebuild(services.app, PROJECTIONS[args.name], services.params,
                          batch_size=services.settings.projection_batch_size)
        print(f"rebuilt {args.name}: {applied} events applied, swapped in", flush=True)
    finally:
        services.close()
    return 0


def cmd_projections_failures(args: argparse.Namespace) -> int:
    """Every county whose part of a projection is halted, with the event and the error."""
    from xiaofei.projectors.catalog import PROJECTIONS

    services = _services(args)
    found = 0
    try:
        with services.params.connect() as conn:
            for name in PROJECTIONS:
                rows = conn.execute(
                    f"SELECT county, position, topic, error, (SELECT count(*) FROM rm_{name}.parked_events p"
                    f" WHERE p.county = h.county) FROM rm_{name}.halted_partitions h ORDER BY county").fetchall()
                for county, position, topic, error, parked in rows:
                    found += 1
                    print(f"{name}\tcounty {county}\tevent {position} ({topic})\t{parked} parked\t{error}")
    finally:
        services.close()
    if not found:
        print("no halted partitions")
    return 1 if found else 0


def cmd_projections_retry(args: argparse.Namespace) -> int:
    """Apply a halted county's parked events again, in log order (after the cause is fixed)."""
    if not _known_projection(args.name):
        return 2
    services = _services(args)
    try:
        projector = services.projector(args.name)
        try:
            applied, error = projector.retry_partition(args.county)
        finally:
            projector.close()
    finally:
        services.close()
    if error is not None:
        print(f"{args.name} county {args.county}: {applied} parked events applied, then: {error}", file=sys.stderr)
        return 1
    print(f"{args.name} county {args.county}: {applied} parked events applied; the county is served again")
    return 0


def cmd_import_households(args: argparse.Namespace) -> int:
    from xiaofei.domain.errors import InvalidInput, XiaofeiError

    services = _services(args)
    try:
        content = Path(args.file).read_bytes()
        try:
            result = services.importer.run(args.county, Path(args.file).name, content, "cli:import")
        except InvalidInput as e:
            for p in e.problems:
                print(f"row {p.row if p.row is not None else '-'}: {p.field}: {p.reason}", file=sys.stderr)
            return 1
        except XiaofeiError as e:
            print(f"refused: {e.detail}", file=sys.stderr)
            return 1
        services.catch_up()
        print(f"{result.rows} rows, {result.households} households: {result.registered} registered, "
              f"{result.unchanged} unchanged{' (file already imported)' if result.already_imported else ''}")
    finally:
        services.close()
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from xiaofei.domain.errors import XiaofeiError

    services = _services(args)
    try:
        try:
            issued = services.access.issue(args.role, args.county or [], args.organisation, args.label, "cli:token")
        except XiaofeiError as e:
            print(f"refused: {e.detail}", file=sys.stderr)
            return 2
        services.catch_up()
        print(issued.secret)
    finally:
        services.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    services = _services(args)
    try:
        load_demo(services)
        services.catch_up()
    finally:
        services.close()
    return 0


def cmd_events_export(args: argparse.Namespace) -> int:
    from xiaofei.catalogue import export

    names = export(Path(args.dir))
    print(f"wrote {len(names)} files to {args.dir}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xiaofei", description="Consumption and employment assistance bookkeeping.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the HTTP API (and the projectors, unless XIAOFEI_RUN_PROJECTORS=false)")
    s.add_argument("--demo", action="store_true", help="load the demo county (上犹县: households, workshops, wage slips) first")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)

    sub.add_parser("project", help="run the projectors alone").set_defaults(func=cmd_project)

    r = sub.add_parser("rebuild", help="rebuild a projection into fresh tables and swap it in")
    r.add_argument("name")
    r.set_defaults(func=cmd_rebuild)

    pr = sub.add_parser("projections", help="projection partitions halted at an event they cannot apply")
    pr_sub = pr.add_subparsers(dest="what", required=True)
    pr_sub.add_parser("failures", help="list halted counties with the event and the error"
                      ).set_defaults(func=cmd_projections_failures)
    rt = pr_sub.add_parser("retry", help="apply a halted county's parked events again, in log order")
    rt.add_argument("name")
    rt.add_argument("--county", required=True)
    rt.set_defaults(func=cmd_projections_retry)

    imp = sub.add_parser("import", help="bulk imports")
    imp_sub = imp.add_subparsers(dest="what", required=True)
    ih = imp_sub.add_parser("households", help="import households from a CSV file")
    ih.add_argument("file")
    ih.add_argument("--county", required=True)
    ih.set_defaults(func=cmd_import_households)

    tok = sub.add_parser("token", help="API tokens")
    tok_sub = tok.add_subparsers(dest="what", required=True)
    tc = tok_sub.add_parser("create", help="create a token and print its secret once")
    tc.add_argument("--role", required=True)
    tc.add_argument("--county", action="append", help="county code (repeat for several)")
    tc.add_argument("--organisation")
    tc.add_argument("--label", default="")
    tc.set_defaults(func=cmd_token_create)

    sub.add_parser("demo", help="load the demo county").set_defaults(func=cmd_demo)

    ev = sub.add_parser("events", help="the event catalogue")
    ev_sub = ev.add_subparsers(dest="what", required=True)
    ex = ev_sub.add_parser("export", help="write one JSON Schema and one example per event type and version")
    ex.add_argument("--dir", default="events")
    ex.set_defaults(func=cmd_events_export)
    return p


def _exit_on_sigterm(*_: object) -> None:
    # uvicorn re-raises the SIGTERM it caught after its graceful shutdown; the default action would kill
    # the process before ``finally`` blocks stop the projectors and the embedded PostgreSQL.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return int(args.func(args))
    except SettingsError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
