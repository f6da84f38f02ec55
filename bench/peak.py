"""`python -m bench.peak RESULT_FILE COMMAND...`: run COMMAND, write its wall time and peak RSS.

Why a launcher: on Linux a child's `ru_maxrss` starts from the RSS of the process that forked
it, so a command spawned straight from the benchmark (hundreds of MB, with ccxt loaded) would
report at least the benchmark's own size. Spawned from this small process instead, its peak
is its own. COMMAND inherits stdin, stdout and stderr; RESULT_FILE gets one JSON object
`{"wall_s", "peak_rss_bytes", "returncode"}`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m bench.peak RESULT_FILE COMMAND...", file=sys.stderr)
        return 2
    result, command = Path(argv[0]), argv[1:]
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss * 1024  # Linux reports KiB
    result.write_text(json.dumps({"wall_s": wall, "peak_rss_bytes": peak, "returncode": code}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
