# python/dotcompute/__main__.py
# `python -m dotcompute ...` runs the command-line interface.
from .cli import main

raise SystemExit(main())
