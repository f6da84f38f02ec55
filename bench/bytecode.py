"""Bytecode cached outside the tree, for the benchmark and the processes it measures.

This machine sets PYTHONDONTWRITEBYTECODE=1, so without a cache every process start compiles
ccxt (and the rest) from source: seconds that an installed bot never pays (the Docker image
pre-compiles its dependencies with UV_COMPILE_BYTECODE=1). The cache lives in the temporary
directory (`sys.pycache_prefix`), so no `__pycache__` appears in the working tree.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

BYTECODE_CACHE = Path(tempfile.gettempdir()) / "rebalance-bench-pycache"


def enable_bytecode_cache() -> None:
    """Read and write bytecode under BYTECODE_CACHE in this process (call before imports)."""
    sys.pycache_prefix = str(BYTECODE_CACHE)
    sys.dont_write_bytecode = False
