# python/dotcompute/kernel/__init__.py
# The kernel language: frontend (Python AST -> typed IR), code generators, compiler and cache.
