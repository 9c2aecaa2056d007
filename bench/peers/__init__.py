# bench/peers/__init__.py
# The same benchmark kernels written for each peer framework, one module per framework.
