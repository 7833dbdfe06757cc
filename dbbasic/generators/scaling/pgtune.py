"""PostgreSQL server settings sized from the machine it runs on, as pgtune computes them for a web application
on SSD storage, and the postgresql.conf include file that carries them.

    settings = settings_for(Machine(cpus=8, memory_bytes=parse_memory("32GB")), max_connections=200)
    settings["shared_buffers"]                                  # '8GB'
    render_conf(settings, ["dbbasic: tier growing"])            # include it from postgresql.conf

The formulas are pgtune's (github.com/le0pard/pgtune), src/features/configuration/configurationSlice.js at
commit 830d3bb (June 2026, the last commit to change that file), with the order and sizes of
src/common/components/configurationView/index.jsx: profile "web", OS "linux", storage "ssd", database size
"mid_ram" (pgtune's default: neither fits in RAM nor far larger, so work_mem is not scaled), PostgreSQL 15.
Where pgtune's figure depends on the PostgreSQL version, the PostgreSQL 15 branch is taken: dbbasic targets 15
and later, and a file a 15 refuses would stop the server. Like pgtune, sizes are reckoned in whole kB and shown
in the largest unit that loses nothing (its formatValue).
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
_DEFAULT_WORKER_PROCESSES = 8
"""PostgreSQL's default max_worker_processes, which work_mem reckons with when pgtune does not set it."""
_WORK_MEM_FLOOR = 4 * _MB_IN_KB
"""Less makes even simple sorts and hashes spill to disk."""
_MAINTENANCE_WORK_MEM_CAP = 8 * _GB_IN_KB
"""Index builds and vacuums gain little from more."""
_AUTOVACUUM_WORK_MEM_CAP = 2 * _GB_IN_KB
"""Each autovacuum worker may take maintenance_work_mem; past this, several at once risk the OOM killer."""
_HUGE_PAGES_FROM = 2 * _GB_IN_KB
"""shared_buffers from which huge pages are worth trying."""


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
    maintenance_work_mem = min(memory_kb // 16, _MAINTENANCE_WORK_MEM_CAP)
    parallel = _parallel_settings(machine.cpus)
    worker_processes = parallel.get("max_worker_processes", _DEFAULT_WORKER_PROCESSES)
    # A query may sort or hash several times at once, in its connection and in background workers alike: what
    # shared_buffers leaves is shared by three work areas for each of them.
    work_mem = max(_WORK_MEM_FLOOR, (memory_kb - shared_buffers) // ((max_connections + worker_processes) * 3))
    settings = {
        "max_connections": str(max_connections),
        "shared_buffers": _size(shared_buffers),
        "effective_cache_size": _size(memory_kb * 3 // 4),
        "maintenance_work_mem": _size(maintenance_work_mem),
        "checkpoint_completion_target": "0.9",
        "wal_buffers": _size(_wal_buffers(shared_buffers)),
        "default_statistics_target": "100",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "work_mem": _size(work_mem),
        "huge_pages": "try" if shared_buffers >= _HUGE_PAGES_FROM else "off",
        # Compiling short web queries costs more than it saves (PostgreSQL 12 and later turn jit on).
        "jit": "off",
        # pgtune's PostgreSQL 15 branch (10 to 14 get 'on', i.e. pglz); lz4 needs a server built --with-lz4, as
        # pgtune assumes standard packages are (the Debian ones these tests run are).
        "wal_compression": "lz4",
    }
    if machine.cpus >= 16:  # PostgreSQL's 3 workers are raised only on larger servers
        settings["autovacuum_max_workers"] = "5" if machine.cpus >= 32 else "4"
    if maintenance_work_mem >= _AUTOVACUUM_WORK_MEM_CAP:
        settings["autovacuum_work_mem"] = _size(_AUTOVACUUM_WORK_MEM_CAP)
    # pgtune's io_method and io_workers come here from PostgreSQL 18 on; a 15 knows neither.
    settings |= {"min_wal_size": "1GB", "max_wal_size": "4GB"}
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
