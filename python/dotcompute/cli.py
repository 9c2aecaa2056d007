# python/dotcompute/cli.py
# `python -m dotcompute devices | plugins | demo | bench | cache`: inspect the installation, run the
# demo and the benchmark table, manage the kernel cache.
"""Command-line interface of dotcompute."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

from ._table import format_bytes, format_table


def _devices_command(args: argparse.Namespace) -> int:
    import dotcompute as dc

    rows = []
    for device in dc.devices():
        capabilities = device.capabilities
        detail = ", ".join(f"{key}={value}" for key, value in sorted(capabilities.items()))
        rows.append(
            [
                device.spec,
                device.backend,
                device.name,
                format_bytes(device.memory_total),
                device.compute_units,
                detail,
            ]
        )
    if args.json:
        print(json.dumps([_device_dict(d) for d in dc.devices()], indent=2))
        return 0
    headers = ["device", "backend", "name", "memory", "units", "capabilities"]
    print(format_table(headers, rows))
    return 0


def _device_dict(device) -> dict:
    return {
        "spec": device.spec,
        "backend": device.backend,
        "name": device.name,
        "vendor": device.vendor,
        "memory_total": device.memory_total,
        "compute_units": device.compute_units,
        "host_visible": device.host_visible,
        "capabilities": device.capabilities,
    }


def _plugins_command(args: argparse.Namespace) -> int:
    import dotcompute as dc

    loaded = dc.plugins.list()
    rejected = dc.plugins.rejected()
    if args.json:
        document = {
            "loaded": [dataclasses.asdict(p) for p in loaded],
            "rejected": [dataclasses.asdict(r) for r in rejected],
        }
        print(json.dumps(document, indent=2))
        return 0
    print("Loaded plugins:")
    rows = [[p.name, p.version, p.abi, p.devices, p.origin, p.path] for p in loaded]
    print(format_table(["name", "version", "abi", "devices", "origin", "path"], rows))
    if args.digests:
        # sha256sum's format: these lines can be saved as DOTCOMPUTE_PLUGIN_ALLOWLIST as they are.
        print("\nSHA-256 digests (the format DOTCOMPUTE_PLUGIN_ALLOWLIST reads):")
        for plugin in loaded:
            print(f"{plugin.sha256}  {plugin.path}")
    print()
    if not rejected:
        print("Rejected plugins: none")
        return 0
    print("Rejected plugins:")
    rows = [[r.name or "?", r.origin, r.path, r.reason] for r in rejected]
    print(format_table(["name", "origin", "path", "reason"], rows))
    return 0


def _demo_command(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    return run_demo(size=args.size, repeat=args.repeat, device_filter=args.device)


def _bench_command(args: argparse.Namespace) -> int:
    from ._bench import bench_command

    plan = "full" if args.full else "quick"
    return bench_command(plan, args.repeat, args.device, args.json, args.png)


def _cache_command(args: argparse.Namespace) -> int:
    from .kernel import cache

    if args.action == "clear":
        removed = cache.clear_cache()
        if args.json:
            print(json.dumps(removed, indent=2))
            return 0
        print(
            f"Removed {removed['entries']} cached kernel(s), {format_bytes(removed['bytes'])}, "
            f"from {removed['directory']}"
        )
        return 0
    info = cache.cache_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    rows = [
        ["directory", info["directory"]],
        ["entries", info["entries"]],
        ["size", format_bytes(info["bytes"])],
    ]
    if info["temporary_files"]:
        # Left behind by a compiler process that was killed; `cache clear` removes them.
        rows.append(["temporary files", info["temporary_files"]])
    print(format_table(["kernel cache", ""], rows))
    return 0


def _check_or_compile(args: argparse.Namespace) -> int:
    from .kernel.tooling import process_file

    compile_code = args.command == "compile"
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()] if args.dtypes else []
    report = process_file(args.file, compile_code=compile_code, dtypes=dtypes)
    for error in report.errors:
        print(f"error: {error}")
    for note in report.notes:
        print(f"note: {note}")
    verb = "compiled for cpu" if compile_code else "checked"
    print(f"{args.file}: {len(report.kernels)} kernel(s) {verb}, {len(report.errors)} error(s)")
    return 1 if report.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dotcompute",
        description="dotcompute: compute kernels on CPUs, CUDA, OpenCL and Metal devices.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    devices = commands.add_parser("devices", help="list every device of every loaded backend")
    devices.add_argument("--json", action="store_true", help="print JSON instead of a table")
    devices.set_defaults(run=_devices_command)

    plugins = commands.add_parser("plugins", help="list loaded and rejected plugins with reasons")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of tables")
    plugins.add_argument(
        "--digests",
        action="store_true",
        help="also print each plugin's SHA-256 in sha256sum format, ready for an allow-list",
    )
    plugins.set_defaults(run=_plugins_command)

    demo = commands.add_parser(
        "demo", help="run the built-ins on every device, check them against numpy and time them"
    )
    demo.add_argument("--size", type=int, default=1 << 20, help="elements per array (1M)")
    demo.add_argument("--repeat", type=int, default=20, help="timed repetitions per operation")
    demo.add_argument("--device", default=None, help="only this device (spec), e.g. 'cpu'")
    demo.set_defaults(run=_demo_command)

    bench = commands.add_parser(
        "bench",
        help="the seed's table (vector add, matmul, 1 GiB transfer, FFT) on every device, "
        "checked and timed against numpy (and CuPy on CUDA)",
    )
    bench.add_argument(
        "--full", action="store_true", help="also larger sizes, more repetitions (slower)"
    )
    bench.add_argument("--repeat", type=int, default=None, help="timed samples per operation")
    bench.add_argument("--device", default=None, help="only this device (spec), e.g. 'cpu'")
    bench.add_argument(
        "--json",
        default=None,
        metavar="PATH",
        help="where to save the figures (default: ./dotcompute-bench.json)",
    )
    bench.add_argument(
        "--png", default=None, metavar="PATH", help="also draw a chart (needs matplotlib)"
    )
    bench.set_defaults(run=_bench_command)

    cache = commands.add_parser("cache", help="show or clear the compiled-kernel cache")
    cache.add_argument(
        "action",
        choices=["info", "clear"],
        nargs="?",
        default="info",
        help="info (default): where the cache is and how big; clear: delete every entry",
    )
    cache.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cache.set_defaults(run=_cache_command)
    for name, help_text in (
        ("check", "type-check every kernel in a Python file without running anything"),
        ("compile", "compile every kernel in a Python file into the kernel cache"),
    ):
        tool = commands.add_parser(name, help=help_text)
        tool.add_argument("file", help="a Python file defining @dc.kernel functions")
        if name == "compile":
            tool.add_argument("--target", default="cpu", choices=["cpu"], help="backend")
        tool.add_argument(
            "--dtypes",
            default="",
            help="comma-separated dtypes to specialize generic kernels with, e.g. float32,int32",
        )
        tool.set_defaults(run=_check_or_compile)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `python -m dotcompute plugins | head`
        return 0
    except Exception as error:
        from .errors import DotComputeError

        if isinstance(error, DotComputeError):
            print(f"error: {error}", file=sys.stderr)
            return 1
        raise
