# bench/benchmarks/__init__.py
# asv benchmark suite of dotcompute: each class times dotcompute and numpy side by side.
