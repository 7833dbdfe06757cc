"""PostgreSQL server settings sized from the machine it runs on, as pgtune computes them for a web application
on SSD storage, and the postgresql.conf include file that carries them.

    settings = settings_for(Machine(cpus=8, memory_bytes=parse_memory("32GB")), max_connections=200)
    settings["shared_buffers"]                                  # '8GB'
    render_conf(settings, ["dbbasic: tier growing"])            # include it from postgresql.conf

The formulas are pgtune's (github.com/le0pard/pgtune), src/features/configuration/configurationSlice.js at
commit 27bf803 (October 2024), profile "web", OS "linux", storage "ssd", PostgreSQL 11 or later. pgtune has
changed some since (a 4MB floor and another divisor for work_mem, an 8GB cap for maintenance_work_mem,
huge_pages from shared_buffers, jit and wal_compression); dbbasic keeps the figures issue 8 specified. Like
pgtune, sizes are reckoned in whole kB and shown in the largest unit that loses nothing (its formatValue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_KB = 1024
_MB_IN_KB = 1024
_GB_IN_KB = 1024 * 1024
_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt])(?:i?b|i)?\s*", re.IGNORECASE)
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")

_PARALLEL_FROM_CPUS = 4
"""Below this, pgtune leaves the parallel settings at PostgreSQL's defaults."""
_DEFAULT_WORKERS_PER_GATHER = 2
"""PostgreSQL's default max_parallel_workers_per_gather, which work_mem divides by when it is not set."""


@dataclass(frozen=True)
class Machine:
    cpus: int
    memory_bytes: int


def parse_memory(text: str) -> int:
    """Bytes in a memory size as people write it: `8GB`, `512MB`, `1.5GiB`, `16g` (K, M, G, T, with or without
    `i`, any case). Units are powers of 1024, as for RAM and as PostgreSQL reads them."""
    found = _MEMORY.fullmatch(text)
    if found is None:
        raise ValueError(f"memory size {text!r}: a number and a unit K, M, G or T (KB/KiB ...), as in 8GB or 1.5GiB")
    size = int(Decimal(found.group(1)) * _UNITS[found.group(2).lower()])
    if size <= 0:
        raise ValueError(f"memory size {text!r}: must be more than zero")
    return size


def settings_for(machine: Machine, max_connections: int) -> dict[str, str]:
    """Setting name -> value text, in pgtune's order, for a server with `max_connections` connections."""
    if machine.cpus < 1:
        raise ValueError(f"{machine.cpus} CPUs: at least one")
    if machine.memory_bytes < _MB_IN_KB * _KB:
        raise ValueError(f"{machine.memory_bytes} bytes of memory: at least 1MB")
    if max_connections < 1:
        raise ValueError(f"max_connections {max_connections}: at least one")
    memory_kb = machine.memory_bytes // _KB
    shared_buffers = memory_kb // 4
    parallel = _parallel_settings(machine.cpus)
    workers_per_gather = parallel.get("max_parallel_workers_per_gather", _DEFAULT_WORKERS_PER_GATHER)
    # A query may sort or hash several times at once, and each parallel worker does its own: what shared_buffers
    # leaves is shared by three work areas per connection, each split again among a gather's workers.
    work_mem = max(64, (memory_kb - shared_buffers) // (max_connections * 3 * workers_per_gather))
    settings = {
        "max_connections": str(max_connections),
        "shared_buffers": _size(shared_buffers),
        "effective_cache_size": _size(memory_kb * 3 // 4),
        "maintenance_work_mem": _size(min(memory_kb // 16, 2 * _GB_IN_KB)),
        "checkpoint_completion_target": "0.9",
        "wal_buffers": _size(_wal_buffers(shared_buffers)),
        "default_statistics_target": "100",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "work_mem": _size(work_mem),
        "huge_pages": "try" if memory_kb >= 32 * _GB_IN_KB else "off",
        "min_wal_size": "1GB",
        "max_wal_size": "4GB",
    }
    return settings | {name: str(value) for name, value in parallel.items()}


def render_conf(settings: dict[str, str], header: list[str]) -> str:
    """A postgresql.conf include file: the header as `# ` comments, then one `name = 'value'` line per setting."""
    lines = []
    for line in header:
        if "\n" in line or "\r" in line:
            raise ValueError(f"header line {line!r}: one line each")
        lines.append(f"# {line}".rstrip())
    for name, value in settings.items():
        if not _SETTING_NAME.fullmatch(name):
            raise ValueError(f"setting name {name!r}: letters, digits, _ and .")
        lines.append(f"{name} = {_conf_string(value)}")
    return "\n".join(lines) + "\n"


def _parallel_settings(cpus: int) -> dict[str, int]:
    if cpus < _PARALLEL_FROM_CPUS:
        return {}
    # More than four workers for one query or one index build has shown little gain on web workloads.
    half = min(-(-cpus // 2), 4)
    return {
        "max_worker_processes": cpus,
        "max_parallel_workers_per_gather": half,
        "max_parallel_workers": cpus,
        "max_parallel_maintenance_workers": half,
    }


def _wal_buffers(shared_buffers_kb: int) -> int:
    """PostgreSQL's own auto-tuning (3% of shared_buffers, at most 16MB), rounded up to 16MB when above 14MB,
    and at least 32kB."""
    wal = min(3 * shared_buffers_kb // 100, 16 * _MB_IN_KB)
    if 14 * _MB_IN_KB < wal < 16 * _MB_IN_KB:
        wal = 16 * _MB_IN_KB
    return max(wal, 32)


def _size(kb: int) -> str:
    if kb % _GB_IN_KB == 0:
        return f"{kb // _GB_IN_KB}GB"
    if kb % _MB_IN_KB == 0:
        return f"{kb // _MB_IN_KB}MB"
    return f"{kb}kB"


def _conf_string(value: str) -> str:
    """A quoted postgresql.conf value: its scanner reads backslash escapes and ends a value at a line break."""
    if any(ord(char) < 32 for char in value):
        raise ValueError(f"setting value {value!r}: no line breaks or control characters")
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
