"""`database: read_replicas(N)` compiled to what streaming replication needs: primary settings, the
replication role and one physical slot per replica (SQL, and its undo), pg_hba.conf lines, each replica's
files, and the runbook a person follows. Plain data; nothing here connects anywhere.

    setup = replica_setup(parse_replicas("read_replicas(3)"), "db1.internal", 5432)
    setup.replicas[0].files["postgresql.auto.conf"]   # primary_conninfo, primary_slot_name, hot_standby

No password is ever written: the operator sets the role's with psql's `\\password`, and each replica reads
it from the `.pgpass` of its OS user (or PGPASSWORD in its environment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dbbasic.sql.dialect import Dialect

PG = Dialect.get("postgres")

_READ_REPLICAS = re.compile(r"read_replicas\((.*)\)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""A role name: it is also written unquoted in shell commands, conninfo and pg_hba.conf."""
_SLOT_PREFIX = re.compile(r"[a-z0-9_]+")
"""PostgreSQL accepts only these characters in a replication slot's name."""
_HOST = re.compile(r"[A-Za-z0-9._:-]+")
_NETWORK = re.compile(r"[A-Za-z0-9._:/-]+")
_DO_TAG = "$dbbasic$"


def parse_replicas(value: str) -> int | None:
    """The replica count of a `database:` layout: `read_replicas(3)` is 3; any other layout is None."""
    found = _READ_REPLICAS.fullmatch(value.strip())
    if found is None:
        return None
    text = found.group(1).strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"`{value}`: the replica count must be a whole number, as in `read_replicas(3)`")
    if int(text) < 1:
        raise ValueError(f"`{value}`: at least one replica (`read_replicas(1)`); for none, leave `database:` out")
    return int(text)


@dataclass(frozen=True)
class Replica:
    name: str
    """Also its application_name, as pg_stat_replication on the primary shows it."""
    slot: str
    files: dict[str, str]
    """File name -> text, for the replica's data directory after pg_basebackup: `standby.signal` (empty) and
    the lines to append to `postgresql.auto.conf`."""


@dataclass(frozen=True)
class ReplicaSetup:
    primary_settings: dict[str, str]
    primary_sql: tuple[str, ...]
    """Idempotent: the role if missing, each slot if missing."""
    undo_sql: tuple[str, ...]
    """One statement per slot (each names only its slot), then the role."""
    hba_lines: tuple[str, ...]
    replicas: tuple[Replica, ...]
    runbook: tuple[str, ...]
    """Numbered steps for the operator, in order."""


def replica_setup(count: int, primary_host: str, primary_port: int, role: str = "replicator",
                  slot_prefix: str = "dbbasic_replica_", replica_network: str = "samehost") -> ReplicaSetup:
    """Everything `count` streaming replicas of the primary at `primary_host:primary_port` need, connecting as
    `role` from `replica_network` (an address, a CIDR, or a pg_hba keyword such as `samehost`)."""
    _check(count, primary_host, primary_port, role, slot_prefix, replica_network)
    slots = [f"{slot_prefix}{n}" for n in range(1, count + 1)]
    replicas = tuple(_replica(f"replica_{n}", slot, primary_host, primary_port, role)
                     for n, slot in enumerate(slots, start=1))
    settings = _primary_settings(count)
    hba = (f"host replication {PG.quote(role)} {replica_network} scram-sha-256",)
    return ReplicaSetup(
        primary_settings=settings,
        primary_sql=(_create_role(role), *(_create_slot(slot) for slot in slots)),
        undo_sql=(*(_drop_slot(slot) for slot in slots), f"DROP ROLE IF EXISTS {PG.quote(role)}"),
        hba_lines=hba,
        replicas=replicas,
        runbook=_runbook(settings, hba, replicas, primary_host, primary_port, role),
    )


def _primary_settings(count: int) -> dict[str, str]:
    """Each replica holds one WAL sender and one slot; the two spare ones let a pg_basebackup (a backup and a
    WAL stream) run beside them. PostgreSQL's defaults (10) are never lowered. wal_keep_size keeps 1 GB of WAL
    for a replica being rebuilt, before its slot holds any; hot_standby matters only on the replicas, which
    get this configuration too."""
    return {
        "wal_level": "replica",
        "max_wal_senders": str(max(10, count + 2)),
        "max_replication_slots": str(max(10, count + 2)),
        "wal_keep_size": "1GB",
        "hot_standby": "on",
    }


def _check(count: int, host: str, port: int, role: str, slot_prefix: str, network: str) -> None:
    if count < 1:
        raise ValueError(f"replica count {count}: at least one replica")
    if not _HOST.fullmatch(host):
        raise ValueError(f"primary host {host!r}: a host name or an IP address")
    if not 0 < port < 65536:
        raise ValueError(f"primary port {port}: between 1 and 65535")
    if not _NAME.fullmatch(role):
        raise ValueError(f"role {role!r}: letters, digits and _ (it appears in pg_hba.conf and shell commands)")
    if not _SLOT_PREFIX.fullmatch(slot_prefix) or len(f"{slot_prefix}{count}") > 63:
        raise ValueError(f"slot prefix {slot_prefix!r}: lower-case letters, digits and _, as slot names allow")
    if not _NETWORK.fullmatch(network):
        raise ValueError(f"replica network {network!r}: an address, a CIDR or a pg_hba keyword (samehost)")


def _replica(name: str, slot: str, host: str, port: int, role: str) -> Replica:
    conninfo = f"host={host} port={port} user={role} application_name={name}"
    auto_conf = "\n".join([
        f"# dbbasic: {name}, a streaming replica of {host}:{port}; append to postgresql.auto.conf",
        "# No password here: libpq reads it from ~/.pgpass of the OS user running the replica",
        f"# ({host}:{port}:replication:{role}:<password>), or from PGPASSWORD in the server's environment.",
        f"primary_conninfo = {PG.literal(conninfo)}",
        f"primary_slot_name = {PG.literal(slot)}",
        "hot_standby = on",
    ]) + "\n"
    return Replica(name=name, slot=slot, files={"standby.signal": "", "postgresql.auto.conf": auto_conf})


def _create_role(role: str) -> str:
    body = (f"BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {PG.literal(role)}) THEN "
            f"CREATE ROLE {PG.quote(role)} WITH REPLICATION LOGIN; END IF; END")
    return f"DO {_DO_TAG} {body} {_DO_TAG}"  # the role name is checked: it cannot hold the tag


def _create_slot(slot: str) -> str:
    # Not reserved at once: the slot keeps WAL from its first connection (pg_basebackup -S), so a replica
    # that is never built costs the primary no disk.
    return (f"SELECT pg_create_physical_replication_slot({PG.literal(slot)}) WHERE NOT EXISTS "
            f"(SELECT FROM pg_replication_slots WHERE slot_name = {PG.literal(slot)})")


def _drop_slot(slot: str) -> str:
    return (f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            f"WHERE slot_name = {PG.literal(slot)}")


def _runbook(settings: dict[str, str], hba: tuple[str, ...], replicas: tuple[Replica, ...], host: str, port: int,
             role: str) -> tuple[str, ...]:
    shown = ", ".join(f"{name} = {value}" for name, value in settings.items())
    steps = [
        f"On the primary: set {shown} (dbbasic.conf, included from postgresql.conf); restart PostgreSQL "
        "(these take effect only at a restart).",
        f"On the primary, as a superuser: run this plan's SQL (the role {PG.quote(role)} and one slot per replica), "
        f"then set the role's password in psql: \\password {PG.quote(role)}. Keep it in your secret store, "
        "never in a file under version control.",
        f"On the primary: add to pg_hba.conf: {' / '.join(hba)} (set the network to your replicas' addresses), "
        "then reload: SELECT pg_reload_conf().",
    ]
    steps.append(
        f"On each replica's host, as the postgres OS user: put the password in ~/.pgpass (echo \"{host}:{port}:"
        f"replication:{role}:${{REPLICATION_PASSWORD}}\" >> ~/.pgpass; chmod 600 ~/.pgpass), and give the replica "
        "the primary's dbbasic.conf: a standby refuses to start with max_connections, max_wal_senders, "
        "max_worker_processes or max_locks_per_transaction lower than its primary's.")
    for replica in replicas:
        steps.append(
            f"{replica.name}, PostgreSQL stopped, $PGDATA empty: pg_basebackup -h {host} -p {port} -U {role} "
            f"-D \"$PGDATA\" -X stream -S {replica.slot} --checkpoint=fast; copy files/{replica.name}/standby.signal "
            f"into $PGDATA and append files/{replica.name}/postgresql.auto.conf to $PGDATA/postgresql.auto.conf (or "
            f"add -R to pg_basebackup: it writes both, but without the application_name {replica.name}).")
    steps += [
        "Start each replica (pg_ctl -D \"$PGDATA\" start, or its service); SELECT pg_is_in_recovery() on it is true "
        "and it refuses writes.",
        "On the primary: SELECT application_name, state, replay_lag FROM pg_stat_replication shows each of "
        f"{', '.join(r.name for r in replicas)} as streaming; pg_replication_slots shows each slot active.",
        "Send read-only queries to the replicas and every write to the primary; a replica may lag, so a read that "
        "must see the request's own write goes to the primary.",
        "A replica taken away for good: stop it, then drop its slot (this plan's rollback drops them all); an "
        "unused slot makes the primary keep WAL until its disk fills (max_slot_wal_keep_size caps that).",
    ]
    return tuple(f"{n}. {step}" for n, step in enumerate(steps, start=1))
