# bench/offline_dashboard.py
# Makes the dashboard of `asv publish` work without internet: its CDN scripts from Debian's copies.
"""Point the published asv dashboard at local copies of its JavaScript libraries.

    python bench/offline_dashboard.py [HTML_DIR]     (default: bench/.asv/html)

`asv publish` writes an index.html that loads jQuery, Flot, Bootstrap, stupidtable and
blueimp-md5 from CDNs, so the dashboard stays blank on a machine without internet access (CI,
an air-gapped lab). This copies the libraries from Debian's packages (libjs-jquery,
libjs-jquery-flot, libjs-bootstrap, libjs-jquery-stupidtable, node-blueimp-md5) into
HTML_DIR/vendor/ and rewrites the tags to load them. Debian's Flot is one bundle with every
plugin (time, selection, categories, axis labels), so asv's own copy of the axis-labels plugin
is dropped too (it would draw every label twice); the orderBars plugin has no Debian package and
is dropped (it only offsets bars in bar charts, which asv draws for categorical parameters).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

JAVASCRIPT = Path("/usr/share/javascript")

# CDN file name (the last part of the URL) -> the Debian file that replaces it (None: drop).
REPLACEMENTS: dict[str, Path | None] = {
    "jquery-3.3.1.min.js": JAVASCRIPT / "jquery/jquery.min.js",
    "jquery.flot.min.js": JAVASCRIPT / "jquery-flot/jquery.flot.js",
    "jquery.flot.time.min.js": None,  # in Debian's bundle
    "jquery.flot.selection.min.js": None,
    "jquery.flot.categories.min.js": None,
    "jquery.flot.orderBars.js": None,
    "stupidtable.min.js": JAVASCRIPT / "jquery-stupidtable/stupidtable.min.js",
    "md5.min.js": JAVASCRIPT / "blueimp-md5/md5.min.js",
    "bootstrap.min.js": JAVASCRIPT / "bootstrap/js/bootstrap.min.js",
    "bootstrap.min.css": JAVASCRIPT / "bootstrap/css/bootstrap.min.css",
}
DEBIAN_PACKAGES = (
    "libjs-jquery libjs-jquery-flot libjs-bootstrap libjs-jquery-stupidtable node-blueimp-md5"
)

# asv's own axis-labels plugin, loaded from the dashboard's folder.
_LOCAL_AXIS_LABELS_TAG = re.compile(
    r"<script\b[^>]*src=\"jquery\.flot\.axislabels\.js\"[^>]*></script>"
)
_REMOTE_TAG = re.compile(
    r"<(?:script|link)\b[^>]*?(?:src|href)=\"https://[^\"]*/([^/\"]+)\"[^>]*>(?:</script>)?"
)


def missing_libraries() -> list[Path]:
    return [path for path in REPLACEMENTS.values() if path is not None and not path.exists()]


def make_offline(html_dir: Path) -> list[str]:
    """Rewrites html_dir/index.html in place; returns the CDN files replaced or dropped."""
    missing = missing_libraries()
    if missing:
        names = ", ".join(str(path) for path in missing)
        raise FileNotFoundError(f"missing {names}: apt-get install {DEBIAN_PACKAGES}")
    index = html_dir / "index.html"
    vendor = html_dir / "vendor"
    vendor.mkdir(exist_ok=True)
    handled: list[str] = []

    def local_tag(match: re.Match) -> str:
        name = match.group(1)
        if name not in REPLACEMENTS:
            return match.group(0)  # unknown: left as asv wrote it
        handled.append(name)
        source = REPLACEMENTS[name]
        if source is None:
            return ""
        shutil.copyfile(source, vendor / source.name)
        if name.endswith(".css"):
            return f'<link rel="stylesheet" href="vendor/{source.name}">'
        return f'<script src="vendor/{source.name}"></script>'

    text = _REMOTE_TAG.sub(local_tag, index.read_text())
    index.write_text(_LOCAL_AXIS_LABELS_TAG.sub("", text))
    return handled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent / ".asv" / "html"
    parser.add_argument("html_dir", nargs="?", type=Path, default=default)
    html_dir = parser.parse_args().html_dir
    if not (html_dir / "index.html").exists():
        print(f"{html_dir}/index.html not found: run `asv publish` first", file=sys.stderr)
        return 1
    try:
        handled = make_offline(html_dir)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{html_dir}: {len(handled)} CDN tags now local or dropped ({', '.join(handled)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
