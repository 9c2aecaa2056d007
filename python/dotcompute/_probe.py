# python/dotcompute/_probe.py
# Child-process side of dc.plugins.load(path, isolated=True): probes one plugin file, prints JSON.
"""Run as ``python -m dotcompute._probe PATH`` (with ``DOTCOMPUTE_NO_AUTOLOAD=1``).

The parent reads the one line starting with :data:`PROBE_MARKER`; anything else the plugin prints
is ignored. If the plugin crashes while starting, this process dies and the parent reports the
signal instead.
"""

from __future__ import annotations

import json
import sys

from . import _core

#: Prefix of the report line, so output of the plugin itself cannot be mistaken for it.
PROBE_MARKER = "dotcompute-probe: "


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m dotcompute._probe PLUGIN_FILE", file=sys.stderr)
        return 2
    report = _core.probe_file(arguments[0])
    print(PROBE_MARKER + json.dumps(report), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
