"""What the benches share: a measure run in a new process of its own script, and a process's memory from /proc.

    out = in_child(__file__, "copy", url, path)    # runs `python <script> --child copy URL PATH`
    peak = memory_kb("VmHWM")                        # this process's peak RSS, in kB
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def in_child(script: str, kind: str, url: str, path: Path) -> dict[str, Any]:
    """The JSON object the last line of `script --child kind url path` prints, run in a new process."""
    done = subprocess.run([sys.executable, script, "--child", kind, url, str(path)], capture_output=True,
                          text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} process failed:\n{done.stderr}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def memory_kb(field: str, pid: str = "self") -> int:
    """VmRSS (now) or VmHWM (peak) of a process; 0 when it is gone. Not getrusage's ru_maxrss: Linux carries
    that over from the parent through fork and exec, so a child would report the parent's peak."""
    for line in read_proc(Path(f"/proc/{pid}/status")).splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def read_proc(path: Path) -> str:
    """A /proc file's text; "" when its process or thread is gone."""
    try:
        return path.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""
