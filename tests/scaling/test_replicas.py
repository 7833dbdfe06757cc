"""`database: read_replicas(N)`: what the primary and each replica need, as text a person installs. The last
test installs it for real: a primary of its own, the generated settings and SQL, a replica made by
pg_basebackup with the generated files, and a row written on the primary read back on the replica."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from pg_server import AS_POSTGRES, free_port, pg_bin

from dbbasic.generators.scaling.replicas import ReplicaSetup, parse_replicas, replica_setup


def test_parse_replicas() -> None:
    assert parse_replicas("read_replicas(3)") == 3
    assert parse_replicas(" read_replicas( 12 ) ") == 12
    assert parse_replicas("sharded") is None
    assert parse_replicas("single") is None


@pytest.mark.parametrize("value, message", [
    ("read_replicas(0)", "at least one replica"),
    ("read_replicas(x)", "whole number"),
    ("read_replicas()", "whole number"),
    ("read_replicas(-1)", "whole number"),
])
def test_parse_replicas_refuses(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_replicas(value)


def test_three_replicas() -> None:
    setup = replica_setup(3, "db1.internal", 5432)

    assert [r.slot for r in setup.replicas] == ["dbbasic_replica_1", "dbbasic_replica_2", "dbbasic_replica_3"]
    assert len({r.name for r in setup.replicas}) == 3
    assert sum("pg_create_physical_replication_slot" in sql for sql in setup.primary_sql) == 3
    assert sum("pg_drop_replication_slot" in sql for sql in setup.undo_sql) == 3
    assert setup.undo_sql[-1] == 'DROP ROLE IF EXISTS "replicator"'
    assert setup.hba_lines == ('host replication "replicator" samehost scram-sha-256',)
    assert setup.primary_settings["wal_level"] == "replica"
    first = setup.replicas[0].files
    assert first["standby.signal"] == ""
    assert ("primary_conninfo = 'host=db1.internal port=5432 user=replicator application_name=replica_1'"
            in first["postgresql.auto.conf"])
    assert "primary_slot_name = 'dbbasic_replica_1'" in first["postgresql.auto.conf"]
    assert all(step.startswith(f"{n}. ") for n, step in enumerate(setup.runbook, start=1))
    runbook = "\n".join(setup.runbook)
    assert "pg_basebackup -h db1.internal -p 5432 -U replicator -D \"$PGDATA\" -X stream -S dbbasic_replica_3" in runbook
    assert "pg_stat_replication" in runbook


def test_settings_scale_with_count() -> None:
    for count in (1, 3, 8, 20, 50):
        settings = replica_setup(count, "db1.internal", 5432).primary_settings
        # a sender and a slot per replica, two to spare for a pg_basebackup; never below PostgreSQL's default
        assert int(settings["max_wal_senders"]) >= max(10, count + 2)
        assert int(settings["max_replication_slots"]) >= max(10, count + 2)
    assert replica_setup(50, "h", 5432).primary_settings["max_wal_senders"] == "52"


def every_text(setup: ReplicaSetup) -> str:
    texts = [*setup.primary_settings.values(), *setup.primary_sql, *setup.undo_sql, *setup.hba_lines,
             *setup.runbook, *(text for r in setup.replicas for text in r.files.values())]
    return "\n".join(texts)


def test_no_password_anywhere() -> None:
    text = every_text(replica_setup(3, "db1.internal", 5432, replica_network="10.0.0.0/24")).lower()
    assert "password=" not in text  # conninfo
    assert "password '" not in text  # CREATE/ALTER ROLE ... PASSWORD '...'
    assert "pgpassword=" not in text
    assert "${replication_password}" in text  # the runbook names where it comes from
    assert "\\password" in text and ".pgpass" in text


def test_names_that_cannot_be_written_safely_are_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        replica_setup(1, "db1", 5432, role="rep licator")
    with pytest.raises(ValueError, match="slot prefix"):
        replica_setup(1, "db1", 5432, slot_prefix="Replica-")
    with pytest.raises(ValueError, match="host"):
        replica_setup(1, "db1; rm -rf /", 5432)
    with pytest.raises(ValueError, match="network"):
        replica_setup(1, "db1", 5432, replica_network="0.0.0.0/0 trust")


# -- the real thing: streaming replication between two servers of the test's own ---------------------------




def run(tool: str, *args: str) -> None:
    binary = pg_bin(tool)
    assert binary, f"{tool} not found: apt-get install -y postgresql"
    result = subprocess.run([*AS_POSTGRES, binary, *args], capture_output=True, text=True)
    assert result.returncode == 0, f"{tool} {' '.join(args)}:\n{result.stdout}{result.stderr}"


@dataclass
class Servers:
    """Servers on data directories under `root`, as the postgres OS user; all stopped at teardown."""

    root: Path
    running: list[Path] = field(default_factory=list)

    def start(self, data: Path, port: int, settings: dict[str, str]) -> str:
        options = [f"-p {port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1", "-c fsync=off",
                   *(f"-c {name}={shlex.quote(value)}" for name, value in settings.items())]
        run("pg_ctl", "-D", str(data), "-o", " ".join(options), "-l", f"{data}.log", "-w", "start")
        self.running.append(data)
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def stop(self, data: Path) -> None:
        subprocess.run([*AS_POSTGRES, str(pg_bin("pg_ctl")), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        self.running.remove(data)


@pytest.fixture
def servers() -> Iterator[Servers]:
    if not pg_bin("initdb") or not pg_bin("pg_basebackup"):
        pytest.skip("PostgreSQL binaries not found")
    root = Path(tempfile.mkdtemp(prefix="dbbasic-replicas-"))
    if AS_POSTGRES:
        shutil.chown(root, "postgres", "postgres")
    found = Servers(root)
    try:
        yield found
    finally:
        for data in list(found.running):
            found.stop(data)
        shutil.rmtree(root, ignore_errors=True)


def poll(query: str, url: str, until: object, seconds: float = 10) -> object:
    """The query's first row once it is `until`, or whatever it is after `seconds`; a table not there yet
    (the replica has not replayed its CREATE TABLE) reads as no row."""
    deadline = time.monotonic() + seconds
    while True:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                value = conn.execute(query).fetchone()
            except psycopg.errors.UndefinedTable:
                value = None
        if value == until or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_a_replica_built_from_the_generated_setup_streams_the_primarys_writes(servers: Servers) -> None:
    primary_port, replica_port = free_port(), free_port()
    setup = replica_setup(2, "127.0.0.1", primary_port)
    replica = setup.replicas[0]
    primary_data, replica_data = servers.root / "primary", servers.root / "replica"

    run("initdb", "-D", str(primary_data), "-A", "trust", "-U", "postgres", "--no-sync")
    with (primary_data / "pg_hba.conf").open("a") as hba:  # trust on loopback; the scram line is checked as text
        hba.write("host replication all 127.0.0.1/32 trust\n")
    primary = servers.start(primary_data, primary_port, setup.primary_settings)
    with psycopg.connect(primary, autocommit=True) as conn:
        for _ in range(2):  # idempotent: a second run changes nothing
            for statement in setup.primary_sql:
                conn.execute(statement)
        assert conn.execute("SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = 'replicator'"
                            ).fetchone() == (True, True)
        assert conn.execute("SELECT array_agg(slot_name ORDER BY slot_name) FROM pg_replication_slots"
                            ).fetchone() == (["dbbasic_replica_1", "dbbasic_replica_2"],)

    run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "replicator", "-D", str(replica_data),
        "-X", "stream", "-S", replica.slot, "--checkpoint=fast", "--no-sync")
    (replica_data / "standby.signal").write_text(replica.files["standby.signal"])
    with (replica_data / "postgresql.auto.conf").open("a") as auto_conf:
        auto_conf.write(replica.files["postgresql.auto.conf"])
    if AS_POSTGRES:
        for name in ("standby.signal", "postgresql.auto.conf"):
            shutil.chown(replica_data / name, "postgres", "postgres")
    replica_url = servers.start(replica_data, replica_port, setup.primary_settings)

    with psycopg.connect(primary, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO notes VALUES (1, 'written on the primary')")
    assert poll("SELECT body FROM notes WHERE id = 1", replica_url, ("written on the primary",)) == (
        "written on the primary",)
    with psycopg.connect(replica_url, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO notes VALUES (2, 'written on the replica')")
    assert poll("SELECT application_name, state FROM pg_stat_replication", primary,
                ("replica_1", "streaming")) == ("replica_1", "streaming")
    with psycopg.connect(primary, autocommit=True) as conn:
        assert conn.execute("SELECT slot_name FROM pg_replication_slots WHERE active").fetchall() == [(replica.slot,)]

    # rollback: once the replica is gone and its slot released, the undo SQL leaves no slot and no role
    servers.stop(replica_data)
    assert poll("SELECT bool_or(active) FROM pg_replication_slots", primary, (False,)) == (False,)
    with psycopg.connect(primary, autocommit=True) as conn:
        for statement in setup.undo_sql:
            conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM pg_replication_slots").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'replicator'").fetchone() == (0,)
