"""A tier's `servers:` as a PgBouncer configuration. The last test runs the real PgBouncer on the generated file,
in front of the session's PostgreSQL server, and sends more concurrent clients through it than its pool holds."""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from pg_server import AS_POSTGRES, PostgresServer, free_port
from psycopg.rows import dict_row

from dbbasic.generators.scaling.pgbouncer import PoolSizes, parse_servers, pgbouncer_ini, pool_sizes


def test_parse_servers() -> None:
    assert parse_servers(1) == (1, 1)
    assert parse_servers(3) == (3, 3)
    assert parse_servers("auto_scale(2-5)") == (2, 5)
    assert parse_servers(" auto_scale( 5 - 20 ) ") == (5, 20)


@pytest.mark.parametrize("value, message", [
    (0, "at least one"),
    ("auto_scale(5-2)", "does not go down"),
    ("auto_scale(0-3)", "starts at one"),
    ("auto_scale(2)", "auto_scale\\(2-5\\)"),
    ("3", "a whole number of servers"),
    ("many", "a whole number of servers"),
    (True, "a whole number of servers"),
])
def test_parse_servers_refuses(value: int | str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_servers(value)


def test_pool_sizes() -> None:
    # max_connections 200: 20 held back for direct connections, 180 for PgBouncer; a tenth of those in
    # reserve, the rest the pool; 5 servers of 100 clients; the 2 smallest servers' share of the pool, a quarter warm
    assert pool_sizes((2, 5), max_connections=200) == PoolSizes(
        default_pool_size=162, min_pool_size=16, reserve_pool_size=18, max_client_conn=500, max_db_connections=180)
    # max_connections 100 (PostgreSQL's default): 10 held back
    assert pool_sizes((1, 1), max_connections=100) == PoolSizes(
        default_pool_size=81, min_pool_size=20, reserve_pool_size=9, max_client_conn=100, max_db_connections=90)
    # few connections: 3 held back at least; the pool is never larger than the clients that can use it
    assert pool_sizes((1, 1), max_connections=8, per_server_clients=20) == PoolSizes(
        default_pool_size=4, min_pool_size=1, reserve_pool_size=1, max_client_conn=20, max_db_connections=5)
    assert pool_sizes((1, 1), max_connections=500, per_server_clients=10).default_pool_size == 10


def test_server_connections_stay_within_max_connections() -> None:
    for max_connections in (5, 8, 20, 100, 300, 1000):
        for servers in ((1, 1), (2, 5), (5, 20)):
            sizes = pool_sizes(servers, max_connections)
            assert sizes.default_pool_size + sizes.reserve_pool_size <= sizes.max_db_connections
            assert sizes.max_db_connections <= max_connections - 3
            assert 1 <= sizes.min_pool_size <= sizes.default_pool_size


def test_pool_sizes_refuses() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        pool_sizes((1, 1), max_connections=4)
    with pytest.raises(ValueError, match="fewest first"):
        pool_sizes((5, 2), max_connections=100)
    with pytest.raises(ValueError, match="per server"):
        pool_sizes((1, 1), max_connections=100, per_server_clients=0)


def test_pgbouncer_ini() -> None:
    sizes = pool_sizes(parse_servers("auto_scale(2-5)"), max_connections=200)
    ini = pgbouncer_ini("todo", "db1.internal", 5432, sizes, extra={"admin_users": "ops", "listen_port": "7432"})

    parsed = configparser.ConfigParser(comment_prefixes=(";",))
    parsed.read_string(ini)
    assert dict(parsed["databases"]) == {"todo": "host=db1.internal port=5432 dbname=todo"}
    assert dict(parsed["pgbouncer"]) == {
        "listen_addr": "127.0.0.1", "listen_port": "7432", "auth_type": "scram-sha-256", "auth_file": "userlist.txt",
        "pool_mode": "transaction", "default_pool_size": "162", "min_pool_size": "16", "reserve_pool_size": "18",
        "reserve_pool_timeout": "5", "max_client_conn": "500", "max_db_connections": "180",
        "server_reset_query": "DISCARD ALL", "ignore_startup_parameters": "extra_float_digits",
        "admin_users": "ops",
    }
    assert "password" not in "".join(line for line in ini.splitlines() if not line.startswith(";"))
    assert "prepare_threshold=None" in ini  # the header says what a client must do


@pytest.mark.parametrize("kwargs, message", [
    ({"database": "todo app"}, "database"),
    ({"host": "db1 port=1"}, "host"),
    ({"port": 0}, "port"),
    ({"listen_addr": "127.0.0.1\nauth_type = trust"}, "listen_addr"),
    ({"auth_type": "trust\nadmin_users = x"}, "auth_type"),
    ({"auth_file": ""}, "auth_file"),
    ({"extra": {"admin_users": "a\nauth_type = trust"}}, "one-line value"),
    ({"extra": {"Auth Type": "trust"}}, "lower-case name"),
])
def test_pgbouncer_ini_refuses(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"database": "todo", "host": "db1", "port": 5432,
                               "sizes": pool_sizes((1, 1), max_connections=100)} | kwargs
    with pytest.raises(ValueError, match=message):
        pgbouncer_ini(**args)  # type: ignore[arg-type]


# -- the real thing: PgBouncer on the generated file, in front of the session's server ----------------------

PGBOUNCER = shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")



@pytest.fixture
def bouncer_dir() -> Iterator[Path]:
    if PGBOUNCER is None:
        pytest.skip("pgbouncer not installed (apt-get install -y pgbouncer); CI installs it")
    found = Path(tempfile.mkdtemp(prefix="dbbasic-pgbouncer-"))
    if AS_POSTGRES:
        shutil.chown(found, "postgres", "postgres")
    try:
        yield found
    finally:
        shutil.rmtree(found, ignore_errors=True)


@contextmanager
def running_pgbouncer(ini: Path, port: int) -> Iterator[None]:
    """PgBouncer in the foreground on `ini`, until it accepts connections on `port`; stopped on leaving."""
    log = ini.with_suffix(".log")
    with log.open("w") as stderr:
        process = subprocess.Popen([*AS_POSTGRES, str(PGBOUNCER), str(ini)], cwd=ini.parent, stdout=stderr,
                                   stderr=stderr, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, f"pgbouncer exited:\n{log.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"pgbouncer not listening on {port}:\n{log.read_text()}"
                time.sleep(0.05)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: runuser and PgBouncer
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_more_clients_than_the_pool_share_it_through_pgbouncer(postgres: PostgresServer, pg_url: str,
                                                               bouncer_dir: Path) -> None:
    database = pg_url.rsplit("/", 1)[1]
    sizes = pool_sizes((1, 1), max_connections=8, per_server_clients=20)  # a pool of 4, 1 in reserve
    port = free_port()
    userlist = bouncer_dir / "userlist.txt"
    userlist.write_text('"postgres" ""\n')  # auth_type trust: PgBouncer only checks that the user is listed
    ini = bouncer_dir / "pgbouncer.ini"
    ini.write_text(pgbouncer_ini(database, "127.0.0.1", postgres.port, sizes, listen_port=port,
                                 auth_file=str(userlist), auth_type="trust",
                                 extra={"admin_users": "postgres", "unix_socket_dir": str(bouncer_dir)}))
    if AS_POSTGRES:
        for path in (userlist, ini):
            shutil.chown(path, "postgres", "postgres")

    clients = 12
    all_connected = threading.Barrier(clients)

    def client(n: int) -> set[int]:
        # Transaction pooling: consecutive transactions may run on different server connections, where a
        # statement prepared on one does not exist; prepare_threshold=None keeps psycopg from preparing.
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/{database}", prepare_threshold=None,
                             autocommit=True, connect_timeout=5) as conn:
            all_connected.wait(timeout=10)
            backends = set()
            for i in range(6):
                row = conn.execute("SELECT pg_backend_pid(), %s::int FROM pg_sleep(0.05)", [n * 10 + i]).fetchone()
                assert row is not None and row[1] == n * 10 + i
                backends.add(row[0])
            return backends

    with running_pgbouncer(ini, port):
        with ThreadPoolExecutor(clients) as pool:
            backends = set().union(*pool.map(client, range(clients)))
        # 12 clients at once, served by no more server connections than the pool and its reserve
        assert 1 <= len(backends) <= sizes.default_pool_size + sizes.reserve_pool_size

        # the admin console speaks only the simple query protocol: ClientCursor sends queries that way
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/pgbouncer", autocommit=True,
                             cursor_factory=psycopg.ClientCursor, row_factory=dict_row) as admin:
            config = {row["key"]: row["value"] for row in admin.execute("SHOW CONFIG").fetchall()}
            pools = [row for row in admin.execute("SHOW POOLS").fetchall() if row["database"] == database]
    assert config["pool_mode"] == "transaction"
    assert config["default_pool_size"] == str(sizes.default_pool_size)
    assert config["max_db_connections"] == str(sizes.max_db_connections)
    assert config["max_client_conn"] == str(sizes.max_client_conn)
    assert len(pools) == 1 and pools[0]["pool_mode"] == "transaction"
    assert pools[0]["sv_active"] + pools[0]["sv_idle"] + pools[0]["sv_used"] <= sizes.default_pool_size
