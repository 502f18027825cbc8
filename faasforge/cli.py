"""The ``faasforge`` command. Imports of Prefect, Docker and cloud SDKs happen inside commands,
so ``faasforge --help`` starts fast."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

from faasforge.defaults import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from faasforge.flows.params import SharedParams
    from faasforge.model import ImageRecord, ImageRequest
    from faasforge.pipeline import Workspace
    from faasforge.runlog import RunLog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"faasforge: error: {message} (see 'faasforge --help')\n")


def _csv(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _common(parser: argparse.ArgumentParser, registry: bool = True) -> None:
    parser.add_argument("--benchmarks-dir", type=Path, help="benchmarks in SeBS layout (default: the samples)")
    parser.add_argument("--systems-config", type=Path, help="systems.json in SeBS format (a SeBS checkout's works)")
    parser.add_argument(
        "--systems-overlay", type=Path,
        help="JSON merge patch over the systems config (default $FAASFORGE_SYSTEMS_OVERLAY; "
        "config/systems.offline.json points local at offline stand-in base images)",
    )
    if registry:
        parser.add_argument(
            "--registry", help="registry host[:port][/namespace] for local and openwhisk (local default 127.0.0.1:5000)"
        )
        parser.add_argument("--repository", help="repository name in the registry")
        parser.add_argument("--tag-style", default="hash", help="hash (default: content-addressed) or sebs")
        parser.add_argument(
            "--registries-config", type=Path,
            help="cloud registries TOML (default $FAASFORGE_REGISTRIES_CONFIG, else "
            "$FAASFORGE_HOME/registries.toml; see docs/CLOUDS.md)",
        )
    parser.add_argument("--json", action="store_true", help="print a JSON list of records")


def _selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--benchmark", action="append", help="benchmark name, e.g. 110.dynamic-html (repeatable, comma lists)"
    )
    parser.add_argument("--platform", action="append", help="local, aws, gcp, azure or openwhisk (default local)")
    parser.add_argument("--language", action="append", help="python or nodejs (default: the benchmark's)")
    parser.add_argument("--version", action="append", help="language version (default: the newest)")
    parser.add_argument("--arch", action="append", help="x64 or arm64 (default x64)")


def _building(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="rebuild even if the registry holds the tag")
    parser.add_argument(
        "--index", action="store_true",
        help="after all architectures of a benchmark/platform/version are pushed, publish one "
        "multi-architecture OCI image index over them (local and openwhisk)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=None, help=f"images built at once (default {DEFAULT_CONCURRENCY})"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="show the flow and task runs' progress on stderr (the full log, with tracebacks, is always "
        "written to $FAASFORGE_HOME/logs/)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="faasforge",
        description="Build serverless benchmark functions into container images for every cloud, "
        "architecture and language version; skip what the registry holds; record sizes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    build = sub.add_parser("build", help="build, push and record images (Prefect flow)")
    _selection(build)
    _common(build)
    _building(build)
    build.add_argument(
        "--smoke", metavar="EVENT",
        help="after the push, call each built image once with EVENT (JSON or @FILE) under its platform's "
        "contract (as `faasforge invoke`); an image that does not answer is marked failed",
    )
    matrix = sub.add_parser("build-matrix", help="build every image of a TOML matrix file")
    matrix.add_argument("matrix", type=Path, help="matrix file (see config/matrix.example.toml)")
    _common(matrix)
    _building(matrix)
    plan = sub.add_parser("plan", help="dry run: what would be built or skipped, and why")
    _selection(plan)
    plan.add_argument("--matrix", type=Path, help="plan a TOML matrix file instead of the flags")
    _common(plan)
    plan.add_argument("--force", action="store_true", help="plan as if --force were given")
    invoke = sub.add_parser(
        "invoke", help="run an image locally under its platform's contract and call it",
        description="Run IMAGE under its platform's contract (local/gcp: HTTP on $PORT; aws: the Lambda "
        "Runtime API served here; openwhisk: /init + /run; azure: the Functions host's HTTP route) and "
        "print each reply with its timings. The container is always removed.",
    )
    invoke.add_argument("image", help="image reference in the engine (e.g. a tag faasforge built)")
    invoke.add_argument("--event", default="{}", help="the event: a JSON object, or @FILE (default {})")
    invoke.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE",
        help="environment variable for the container, e.g. storage settings (repeatable)",
    )
    invoke.add_argument("--calls", type=int, default=1, help="calls to make: the first cold, the rest warm (default 1)")
    invoke.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for start-up and for each call")
    invoke.add_argument("--platform", help="the image's platform when it has no org.faasforge.platform label")
    invoke.add_argument("--language", help="the image's language when it has no org.faasforge.language label")
    invoke.add_argument("--json", action="store_true", help="print the whole invocation as JSON")
    images = sub.add_parser("images", help="list the catalog of published images")
    images.add_argument("--platform", help="only this platform")
    images.add_argument("--benchmark", help="only this benchmark")
    images.add_argument("--json", action="store_true", help="print a JSON list of records")
    return parser


def _shared(args: argparse.Namespace) -> SharedParams:
    """The flow parameters the options name (the flows' defaults stand for the others)."""
    from faasforge.flows.params import SharedParams

    if getattr(args, "systems_overlay", None) is not None:  # the flows build their own Settings
        import os

        from faasforge.overlay import OVERLAY_ENV

        os.environ[OVERLAY_ENV] = str(args.systems_overlay.resolve())

    def path(value: Path | None, resolve: bool = False) -> str | None:
        return None if value is None else str(value.resolve() if resolve else value)

    return SharedParams(
        registry=getattr(args, "registry", None),
        repository=getattr(args, "repository", None),
        force=getattr(args, "force", False),
        tag_style=getattr(args, "tag_style", "hash"),
        benchmarks_dir=path(args.benchmarks_dir),
        systems_config=path(args.systems_config),
        registries_config=path(getattr(args, "registries_config", None), resolve=True),
        smoke_event=_smoke_event(args),
    )


def _smoke_event(args: argparse.Namespace) -> dict[str, Any] | None:
    text = getattr(args, "smoke", None)
    if text is None:
        return None
    from faasforge.invoke import parse_event

    return parse_event(text, "--smoke")


def requests_from_flags(args: argparse.Namespace, ws: Workspace) -> list[ImageRequest]:
    """The images named by --benchmark/--platform/--language/--version/--arch, validated strictly."""
    from faasforge.benchmarks import find_benchmark
    from faasforge.errors import UsageError
    from faasforge.matrix import dedupe
    from faasforge.model import ImageRequest

    benchmarks = _csv(args.benchmark)
    if not benchmarks:
        raise UsageError("name at least one --benchmark (e.g. --benchmark 110.dynamic-html)")
    platforms = _csv(args.platform) or ["local"]
    archs = _csv(args.arch) or ["x64"]
    requests: list[ImageRequest] = []
    for name in benchmarks:
        benchmark = find_benchmark(ws.settings.benchmarks_dir, name)
        for platform in platforms:
            languages = _csv(args.language)
            if not languages:
                offered = ws.systems.languages(platform)
                languages = [lang for lang in benchmark.languages if lang in offered]
                if not languages:
                    raise UsageError(
                        f"benchmark {name!r} has no code in a language platform {platform!r} builds "
                        f"(it has: {', '.join(benchmark.languages) or 'none'}); allowed: "
                        f"{', '.join(offered)}, each in a {{language}}/ directory of the benchmark"
                    )
            for language in languages:
                versions = _csv(args.version) or ws.systems.versions(platform, language)[-1:]
                for version in versions:
                    for arch in archs:
                        request = ImageRequest(platform, name, language, version, arch)
                        ws.systems.validate(request)
                        benchmark.language_dir(language)
                        requests.append(request)
    return dedupe(requests)[0]


def _requests(
    args: argparse.Namespace, ws: Workspace, matrix_path: Path | None
) -> tuple[list[ImageRequest], int | None]:
    from faasforge.matrix import load_matrix_file

    if matrix_path is not None:
        matrix, concurrency = load_matrix_file(matrix_path, ws.systems, ws.settings.benchmarks_dir)
        return matrix.requests, concurrency
    return requests_from_flags(args, ws), None


def cmd_plan(args: argparse.Namespace) -> int:
    from faasforge.pipeline import check_registry, resolve_image

    ws = _shared(args).workspace()
    requests, _ = _requests(args, ws, args.matrix)
    rows = []
    for request in requests:
        resolved = resolve_image(request, ws)
        decision = check_registry(resolved, ws, force=args.force)
        rows.append({
            **request.as_params(), "image_uri": resolved.image_uri,
            "action": "build" if decision.build else "skip", "reason": decision.reason,
            "digest": decision.remote.digest if decision.remote else None,
        })
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(
            "plan", ["action", "image", "reason"],
            [[r["action"], r["image_uri"], r["reason"]] for r in rows],
        )
        built = sum(1 for r in rows if r["action"] == "build")
        print(f"{built} to build, {len(rows) - built} to skip", file=sys.stderr)
    return 0


def _run_build(args: argparse.Namespace, matrix_path: Path | None) -> int:
    from faasforge.errors import InvalidValue, UsageError
    from faasforge.matrix import choose_concurrency
    from faasforge.pipeline import resolve_image

    if args.concurrency is not None and args.concurrency < 1:
        raise InvalidValue("concurrency", args.concurrency, "a whole number of at least 1")
    shared = _shared(args)
    ws = shared.workspace()
    requests, file_concurrency = _requests(args, ws, matrix_path)
    if not requests:
        raise UsageError(
            f"matrix {str(matrix_path)!r} selects no image that a platform can build (every cell "
            "was left out); allowed: cells whose platform offers the language, version and architecture"
        )
    if args.index:
        from faasforge.index import check_index_platforms

        check_index_platforms([r.platform for r in requests])
    for request in requests:  # every name, file and hash decided before anything runs
        resolve_image(request, ws)
    concurrency = choose_concurrency(args.concurrency, file_concurrency)
    records = _run_flows(
        requests, shared, concurrency, quiet=args.json, run_log=getattr(args, "run_log", None), index=args.index
    )
    _emit(records, args.json)
    failed = [r for r in records if r.smoke_failed]
    if failed:
        print(
            f"faasforge: error: {len(failed)} of {len(records)} images failed the smoke test: "
            + "; ".join(f"{r.image_uri}: {r.smoke}" for r in failed),
            file=sys.stderr,
        )
        return 1
    return 0


def _run_flows(
    requests: list[ImageRequest],
    shared: SharedParams,
    concurrency: int,
    quiet: bool,
    run_log: RunLog | None = None,
    index: bool = False,
) -> list[ImageRecord]:
    from faasforge.flows.session import flow_session

    with flow_session():
        if run_log is not None:
            import faasforge.flows.build  # noqa: F401 - Prefect sets its logging up on import; route it now

            run_log.install()
        return _run_flows_now(requests, shared, concurrency, quiet, index)


def _run_flows_now(
    requests: list[ImageRequest], shared: SharedParams, concurrency: int, quiet: bool, index: bool = False
) -> list[ImageRecord]:
    from faasforge.flows.build import build_image, build_images
    from faasforge.push import RichPushProgress, showing_pushes, terminal_progress_wanted

    display = RichPushProgress() if terminal_progress_wanted() and not quiet else None
    with display or contextlib.nullcontext(), showing_pushes(display):
        if len(requests) == 1:
            params: dict[str, Any] = {**requests[0].as_params(), **shared.as_params()}
            return [cast("ImageRecord", build_image(**params, index=index))]
        images = [r.as_params() for r in requests]
        return list(build_images(images=images, concurrency=concurrency, index=index, **shared.as_params()))


def cmd_build(args: argparse.Namespace) -> int:
    return _run_build(args, None)


def cmd_build_matrix(args: argparse.Namespace) -> int:
    return _run_build(args, args.matrix)


def cmd_invoke(args: argparse.Namespace) -> int:
    from faasforge.invoke import Call, invoke_image, parse_env, parse_event

    event = parse_event(args.event)
    env = parse_env(args.env)

    def show(call: Call) -> None:
        if args.json:
            return
        kind = "cold" if call.cold else "warm"
        print(f"call {call.number} ({kind}): {call.status} in {call.seconds:.3f} s")
        print(json.dumps(call.reply, indent=2, default=str) if not isinstance(call.reply, str) else call.reply)

    result = invoke_image(
        args.image, event, env=env, calls=args.calls, timeout=args.timeout,
        platform=args.platform, language=args.language, on_call=show,
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        print(f"{result.platform} {result.language} image ready after {result.ready_seconds:.3f} s", file=sys.stderr)
    failed = [c for c in result.calls if not c.ok]
    if failed:
        print(
            f"faasforge: error: {len(failed)} of {len(result.calls)} calls failed (first: call "
            f"{failed[0].number} answered {failed[0].status})",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_images(args: argparse.Namespace) -> int:
    from faasforge.catalog import Catalog
    from faasforge.settings import faasforge_home

    path = faasforge_home() / "catalog.sqlite"
    records = Catalog(path).all(args.platform, args.benchmark) if path.exists() else []
    _emit(records, args.json)
    return 0


def _emit(records: Sequence[ImageRecord], as_json: bool) -> None:
    if as_json:
        print(json.dumps([r.to_json() for r in records], indent=2))
        return
    smoked = any(r.smoke is not None for r in records)
    _print_table(
        "images",
        ["image", "arch", "MB", "compressed MB", "rebuilt", "reason"] + (["smoke"] if smoked else []),
        [
            [r.image_uri, r.architecture, _fmt(r.size_mb), _fmt(r.compressed_mb),
             "rebuilt" if r.rebuilt else "skipped", r.reason] + ([r.smoke or "-"] if smoked else [])
            for r in records
        ],
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[str(c) for c in row])
    console = Console()
    if not console.is_terminal:
        console = Console(width=220)
    console.print(table)


COMMANDS = {
    "build": cmd_build, "build-matrix": cmd_build_matrix, "plan": cmd_plan, "images": cmd_images,
    "invoke": cmd_invoke,
}


def _report(message: str, log_path: Path | None) -> None:
    """The command's last word on a failure: ONE line ``faasforge: error: ...`` (naming the log
    file once flows ran), then only a failed build's log tail, indented. Never a traceback."""
    first, _, rest = message.strip().partition("\n")
    line = f"faasforge: error: {first}"
    if log_path is not None:
        line += f" (log: {log_path})"
    print(line + (f"\n{rest}" if rest else ""), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from faasforge.errors import FaasforgeError, first_line
    from faasforge.runlog import RunLog
    from faasforge.settings import faasforge_home

    run_log = RunLog(faasforge_home(), args.command, verbose=getattr(args, "verbose", False))
    args.run_log = run_log
    try:
        return COMMANDS[args.command](args)
    except FaasforgeError as exc:
        _report(str(exc), run_log.write_exception(exc) if run_log.written else None)
        return exc.exit_code
    except KeyboardInterrupt:
        print("faasforge: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an untranslated library error: one line, traceback to the log
        where = run_log.write_exception(exc)
        from faasforge.redaction import mask_secrets

        detail = mask_secrets(first_line(str(exc), 300))
        hint = f" (traceback in {where})" if where else ""
        print(f"faasforge: error: unexpected {type(exc).__name__}: {detail}{hint}", file=sys.stderr)
        return 1
    finally:
        if argv is not None:  # called in-process: give the caller its logging back. The command
            run_log.uninstall()  # line keeps the routing to exit, so shutdown lines go to the file


if __name__ == "__main__":
    sys.exit(main())
