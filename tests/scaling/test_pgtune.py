"""Server settings sized from the machine, as pgtune's "web application" profile on SSD computes them. The
expected figures are pgtune's formulas worked by hand (sizes in kB, as pgtune reckons them); the last test
starts a PostgreSQL server with the rendered file included and reads each setting back."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pg_server import AS_POSTGRES, free_port, pg_bin

from dbbasic.generators.scaling.pgtune import Machine, parse_memory, render_conf, settings_for
from dbbasic.runner.scaling import check_setting

GiB = 1024**3
MiB = 1024**2

COMMON = {"checkpoint_completion_target": "0.9", "default_statistics_target": "100", "random_page_cost": "1.1",
          "effective_io_concurrency": "200"}
WEB_ON_15 = {"jit": "off", "wal_compression": "lz4"}  # whatever the machine
WAL = {"min_wal_size": "1GB", "max_wal_size": "4GB"}


def test_2_cpus_4gb() -> None:
    # 4GB = 4194304kB; shared_buffers 1/4, effective_cache_size 3/4, maintenance_work_mem 1/16;
    # wal_buffers 3% of 1048576kB = 31457kB, capped at 16MB; shared_buffers under 2GB, so no huge pages;
    # under 4 CPUs no parallel settings, so work_mem counts PostgreSQL's default 8 worker processes:
    # (4194304 - 1048576) / ((200 + 8) * 3) = 5041kB.
    assert settings_for(Machine(cpus=2, memory_bytes=4 * GiB), max_connections=200) == {
        "max_connections": "200",
        "shared_buffers": "1GB",
        "effective_cache_size": "3GB",
        "maintenance_work_mem": "256MB",
        "checkpoint_completion_target": "0.9",
        "wal_buffers": "16MB",
        "default_statistics_target": "100",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "work_mem": "5041kB",
        "huge_pages": "off",
        "jit": "off",
        "wal_compression": "lz4",
        "min_wal_size": "1GB",
        "max_wal_size": "4GB",
    }


def test_8_cpus_32gb() -> None:
    # 32GB = 33554432kB: maintenance_work_mem 1/16 = 2GB, under the 8GB cap, so autovacuum_work_mem is held to 2GB;
    # shared_buffers 8GB turns huge_pages to try; 8 worker processes: work_mem = (33554432 - 8388608) / ((200 + 8) * 3)
    # = 40329kB.
    settings = settings_for(Machine(cpus=8, memory_bytes=32 * GiB), max_connections=200)
    assert settings == {
        "max_connections": "200", "shared_buffers": "8GB", "effective_cache_size": "24GB",
        "maintenance_work_mem": "2GB", **COMMON, "wal_buffers": "16MB", "work_mem": "40329kB", "huge_pages": "try",
        **WEB_ON_15, "autovacuum_work_mem": "2GB", **WAL,
        "max_worker_processes": "8", "max_parallel_workers_per_gather": "4", "max_parallel_workers": "8",
        "max_parallel_maintenance_workers": "4",
    }
    assert list(settings) == [  # pgtune's order
        "max_connections", "shared_buffers", "effective_cache_size", "maintenance_work_mem",
        "checkpoint_completion_target", "wal_buffers", "default_statistics_target", "random_page_cost",
        "effective_io_concurrency", "work_mem", "huge_pages", "jit", "wal_compression", "autovacuum_work_mem",
        "min_wal_size", "max_wal_size",
        "max_worker_processes", "max_parallel_workers_per_gather", "max_parallel_workers",
        "max_parallel_maintenance_workers"]


def test_1_cpu_512mb() -> None:
    # 524288kB: wal_buffers 3% of 131072kB = 3932kB; work_mem = (524288 - 131072) / ((100 + 8) * 3) = 1213kB,
    # raised to the 4MB floor.
    assert settings_for(Machine(cpus=1, memory_bytes=512 * MiB), max_connections=100) == {
        "max_connections": "100", "shared_buffers": "128MB", "effective_cache_size": "384MB",
        "maintenance_work_mem": "32MB", **COMMON, "wal_buffers": "3932kB", "work_mem": "4MB", "huge_pages": "off",
        **WEB_ON_15, **WAL,
    }


def test_big_machine_caps() -> None:
    # 256GB: maintenance_work_mem 1/16 = 16GB, capped at 8GB, autovacuum's at 2GB; workers per gather stay at 4
    # however many CPUs; 32 CPUs or more get 5 autovacuum workers.
    settings = settings_for(Machine(cpus=64, memory_bytes=256 * GiB), max_connections=500)
    assert settings["shared_buffers"] == "64GB"
    assert settings["maintenance_work_mem"] == "8GB"
    assert settings["autovacuum_work_mem"] == "2GB"
    assert settings["autovacuum_max_workers"] == "5"
    assert settings["max_worker_processes"] == "64"
    assert settings["max_parallel_workers_per_gather"] == "4"
    assert settings["max_parallel_maintenance_workers"] == "4"
    assert settings["work_mem"] == "118987kB"  # (268435456 - 67108864) / ((500 + 64) * 3)
    assert list(settings)[10:15] == ["huge_pages", "jit", "wal_compression", "autovacuum_max_workers",
                                     "autovacuum_work_mem"]


def test_parallel_workers_round_up() -> None:
    # 5 CPUs: ceil(5 / 2) = 3 workers per gather; work_mem counts the 5 worker processes.
    settings = settings_for(Machine(cpus=5, memory_bytes=8 * GiB), max_connections=200)
    assert settings["max_parallel_workers_per_gather"] == "3"
    assert settings["max_parallel_maintenance_workers"] == "3"
    assert settings["work_mem"] == "10230kB"  # (8388608 - 2097152) / ((200 + 5) * 3)


def test_edges_of_wal_buffers_work_mem_and_huge_pages() -> None:
    # shared_buffers 500MB: 3% is 15MB, rounded up to a whole 16MB
    assert settings_for(Machine(1, 2000 * MiB), 100)["wal_buffers"] == "16MB"
    # shared_buffers 1MB: 3% is 30kB, raised to the 32kB minimum
    assert settings_for(Machine(1, 4 * MiB), 100)["wal_buffers"] == "32kB"
    # many connections on little memory: work_mem stays at its 4MB floor
    assert settings_for(Machine(1, 256 * MiB), 5000)["work_mem"] == "4MB"
    # huge pages from shared_buffers of 2GB exactly (8GB of memory), not 1kB less
    assert settings_for(Machine(1, 8 * GiB), 100)["huge_pages"] == "try"
    assert settings_for(Machine(1, 8 * GiB - 4096), 100)["huge_pages"] == "off"


def test_autovacuum_settings_come_with_larger_servers() -> None:
    assert "autovacuum_max_workers" not in settings_for(Machine(15, GiB), 100)
    assert settings_for(Machine(16, GiB), 100)["autovacuum_max_workers"] == "4"
    assert settings_for(Machine(31, GiB), 100)["autovacuum_max_workers"] == "4"
    assert settings_for(Machine(32, GiB), 100)["autovacuum_max_workers"] == "5"
    # autovacuum_work_mem only once maintenance_work_mem (1/16 of memory) reaches 2GB: from 32GB
    assert "autovacuum_work_mem" not in settings_for(Machine(4, 31 * GiB), 100)
    assert settings_for(Machine(4, 32 * GiB), 100)["autovacuum_work_mem"] == "2GB"


def test_machines_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match="CPUs"):
        settings_for(Machine(0, GiB), 100)
    with pytest.raises(ValueError, match="memory"):
        settings_for(Machine(1, 1000), 100)
    with pytest.raises(ValueError, match="max_connections"):
        settings_for(Machine(1, GiB), 0)


@pytest.mark.parametrize("text, size", [
    ("8GB", 8 * GiB), ("512MB", 512 * MiB), ("1.5GiB", 3 * GiB // 2), ("16g", 16 * GiB), ("64 kb", 64 * 1024),
    ("2TiB", 2 * 1024 * GiB), (" 4Gi ", 4 * GiB), ("1mib", MiB),
])
def test_parse_memory(text: str, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["8", "GB", "8 XB", "8GiBs", "-1GB", "1.5.0GB", "", "0MB", "eight GB"])
def test_parse_memory_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="memory size"):
        parse_memory(text)


def test_render_conf() -> None:
    conf = render_conf({"shared_buffers": "1GB", "search_path": "'$user', public", "data_note": "C:\\pg"},
                       ["dbbasic: tier growing", ""])
    assert conf == ("# dbbasic: tier growing\n"
                    "#\n"
                    "shared_buffers = '1GB'\n"
                    "search_path = '''$user'', public'\n"
                    "data_note = 'C:\\\\pg'\n")
    with pytest.raises(ValueError, match="setting name"):
        render_conf({"work_mem = '1GB'\nfsync": "off"}, [])
    with pytest.raises(ValueError, match="line breaks"):
        render_conf({"work_mem": "4MB\nfsync = off"}, [])
    with pytest.raises(ValueError, match="header"):
        render_conf({}, ["one\nfsync = off"])


# -- the real thing: a server started with the file included ------------------------------------------------




@pytest.fixture
def data_dir() -> Iterator[Path]:
    """An initdb'd data directory of the test's own, as the postgres OS user; its server stopped at teardown."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install -y postgresql")
    root = Path(tempfile.mkdtemp(prefix="dbbasic-pgtune-"))
    if AS_POSTGRES:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    subprocess.run([*AS_POSTGRES, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
                   check=True, capture_output=True)
    try:
        yield data
    finally:
        subprocess.run([*AS_POSTGRES, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_postgresql_starts_with_the_file_and_shows_its_values(data_dir: Path) -> None:
    # 16 CPUs so the parallel and autovacuum settings are there too; 1GB so that it starts on any machine
    settings = settings_for(Machine(cpus=16, memory_bytes=GiB), max_connections=100)
    assert settings["wal_buffers"] == "7864kB"  # sizes in kB reach the server too
    assert {"jit", "wal_compression", "autovacuum_max_workers", "max_parallel_workers"} <= set(settings)
    (data_dir / "dbbasic-tuning.conf").write_text(render_conf(settings, ["dbbasic: 16 CPUs, 1GB"]))
    with (data_dir / "postgresql.conf").open("a") as conf:
        conf.write("include = 'dbbasic-tuning.conf'\n")
    if AS_POSTGRES:
        shutil.chown(data_dir / "dbbasic-tuning.conf", "postgres", "postgres")

    port = free_port()
    options = f"-p {port} -k {data_dir.parent} -c listen_addresses=127.0.0.1"  # no setting of the file's
    log = data_dir.parent / "log"
    started = subprocess.run([*AS_POSTGRES, str(pg_bin("pg_ctl")), "-D", str(data_dir), "-o", options, "-l", str(log),
                              "-w", "start"], capture_output=True, text=True)
    assert started.returncode == 0, f"the server refused the settings:\n{started.stderr}{log.read_text()}"

    # a machine too big to start here: every setting of it passes the runner's check against this server's
    # pg_settings (the server's type, unit, bounds and choices), the 8GB and 2GB caps among them
    big = settings_for(Machine(cpus=64, memory_bytes=256 * GiB), max_connections=500)
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT name, current_setting(name), sourcefile FROM pg_settings WHERE name = ANY(%s)",
                            [list(settings)]).fetchall()
        described = {row[0]: row[1:] for row in conn.execute(
            "SELECT name, vartype, unit, min_val, max_val, enumvals FROM pg_settings WHERE name = ANY(%s)",
            [list(big)]).fetchall()}
    assert {name: shown for name, shown, _ in rows} == settings  # as SHOW prints them
    assert {Path(source).name for _, _, source in rows} == {"dbbasic-tuning.conf"}
    assert set(described) == set(big)
    for name, value in big.items():
        check_setting(name, value, *described[name])
