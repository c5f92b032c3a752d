"""The `digitlab` command: `predict IMAGE ...` reads digits; `serve` opens the drawing page."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import sys
from pathlib import Path

from digitlab.app.collect import MAX_FILES, MAX_MB, CollectError, Collection
from digitlab.app.predict import predict_files
from digitlab.app.project import INSTALLED, MODEL_FILE, default_model, find_project
from digitlab.app.weights import load_weights
from digitlab.core.errors import UserError

DEFAULT_HELP = f"the project's {MODEL_FILE}, found from the current folder upwards"


def parser() -> argparse.ArgumentParser:
    """The command line: subcommands predict and serve, every option with its default."""
    top = argparse.ArgumentParser(prog="digitlab", description="Read handwritten digits.")
    commands = top.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="predict the digit in each image")
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    predict.add_argument(
        "--model", type=Path, default=None, help=f"model file (default: {DEFAULT_HELP})"
    )
    predict.add_argument("--json", action="store_true", help="print one JSON list")
    serve = commands.add_parser("serve", help="a local page: draw a digit, every model reads it")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free one (default: 8000)")
    serve.add_argument(
        "--model", type=Path, action="append", default=[], metavar="PATH",
        help=f"add a model file; repeatable (default: {DEFAULT_HELP}, alone)",
    )  # fmt: skip
    serve.add_argument(
        "--exp", action="append", default=[], metavar="NAME",
        help="add the model of a DVC experiment or git revision; repeatable",
    )  # fmt: skip
    serve.add_argument("--quiet", action="store_true", help="do not log each request")
    serve.add_argument(
        "--collect", type=Path, default=None, metavar="DIR",
        help="add 'it's a N' buttons that save each drawing as DIR/<label>/<sha256>.png",
    )  # fmt: skip
    serve.add_argument(
        "--collect-max-files", type=int, default=MAX_FILES, metavar="N",
        help=f"refuse to save past N files (default: {MAX_FILES:,})",
    )  # fmt: skip
    serve.add_argument(
        "--collect-max-mb", type=float, default=MAX_MB, metavar="MB",
        help=f"refuse to save past MB megabytes (default: {MAX_MB})",
    )  # fmt: skip
    serve.add_argument(
        "--collect-public", action="store_true",
        help="allow --collect with a --host beyond this machine: anyone who reaches it can write",
    )  # fmt: skip
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 if all went well, 1 if any image failed, 2 for a bad model or usage."""
    args = parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        model = load_weights(args.model or default_model(Path.cwd()))
    except UserError as err:
        print(f"digitlab: error: {err}", file=sys.stderr)
        return 2
    results = predict_files(model, args.images)
    if args.json:
        print(json.dumps([r.as_json() for r in results], indent=2))
    for r in results:
        if r.error is not None:
            print(f"digitlab: error: {r.file}: {r.error}", file=sys.stderr)
        elif not args.json:
            print(f"{r.file}: {r.label} ({r.confidence:.1%})")
    return 1 if any(r.error is not None for r in results) else 0


def serve(args: argparse.Namespace) -> int:
    """Load every model asked for, then serve the page until Ctrl-C."""
    from digitlab.app import revisions
    from digitlab.app import serve as server_module

    # Ctrl-C (and `kill`) must stop the server even when a shell started it with SIGINT
    # ignored, as non-interactive shells do for `command &`.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    collection = collection_for(args)
    # Models asked for by name: the installed project's workspace joins them only when run
    # from inside that project, not from anywhere on the machine.
    asked = bool(args.model or args.exp)
    installed = None if asked else INSTALLED
    repo = find_project(Path.cwd(), installed) or Path.cwd()
    models, workspace = [], repo / MODEL_FILE
    # The workspace's model comes first, unless it is missing and others were asked for.
    if workspace.exists() or not asked:
        workspace = default_model(Path.cwd(), installed)  # a missing one: says where it looked
        metrics = repo / revisions.METRICS_FILE
        models.append(revisions.from_file(workspace, "workspace", metrics))
    models += [revisions.from_file(path) for path in args.model if path.resolve() != workspace]
    models += [revisions.from_revision(name, repo) for name in args.exp]
    server = server_module.make_server(
        models, args.host, args.port, quiet=args.quiet, collection=collection
    )
    if not is_loopback(args.host):
        print(public_warning(args.host, server.server_port), file=sys.stderr, flush=True)
    print(f"serving on http://{args.host}:{server.server_port}/", flush=True)
    if collection is not None:
        print(
            f"collecting: each labelled drawing is saved as {collection.root}/<label>/"
            f"<sha256>.png ({sum(collection.counts().values())} there now); "
            f"version them with: dvc add {collection.root}",
            flush=True,
        )
    print(f"models: {', '.join(m.name for m in models)}; Ctrl-C stops", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0


def collection_for(args: argparse.Namespace) -> Collection | None:
    """The folder --collect names, checked writable; UserError if it may not be used."""
    if args.collect is None:
        return None
    if not is_loopback(args.host) and not args.collect_public:
        raise UserError(
            f"--collect with --host {args.host} lets anyone who reaches it write files here; "
            "add --collect-public if that is what you want"
        )
    if args.collect_max_files < 1 or args.collect_max_mb <= 0:
        raise UserError("--collect-max-files and --collect-max-mb must be above 0")
    collection = Collection(args.collect, args.collect_max_files, args.collect_max_mb)
    try:
        collection.check_writable()
    except CollectError as err:
        raise UserError(str(err)) from None
    return collection


def is_loopback(host: str) -> bool:
    """Whether host is this machine alone: localhost, 127.0.0.0/8 or ::1."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def public_warning(host: str, port: int) -> str:
    """The lines a server bound beyond loopback starts with."""
    return (
        f"warning: bound to {host}:{port}, not to this machine alone: anyone who can reach "
        "it on the network can use the page and the API.\n"
        "warning: there is no login, no TLS and no rate limit; for anything public, put it "
        "behind your web server (docs/page.md, 'Beyond your own machine')."
    )


def entry() -> None:
    """Console-script entry point; a closed pipe (`| head`) ends it quietly."""
    try:
        sys.exit(main())
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        sys.exit(1)


if __name__ == "__main__":
    entry()
