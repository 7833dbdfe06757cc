"""A tier's `servers:` compiled to a PgBouncer configuration: how many application servers there can be, and
so how many client connections arrive, against how many server connections the database can take.

    sizes = pool_sizes(parse_servers("auto_scale(2-5)"), max_connections=200)
    pgbouncer_ini("todo", "db1.internal", 5432, sizes)     # pgbouncer.ini, listening on 127.0.0.1:6432

No password is ever written: PgBouncer reads each user's SCRAM secret from its auth_file, which the operator
fills from the database's pg_authid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AUTO_SCALE = re.compile(r"\s*auto_scale\(\s*(\d+)\s*-\s*(\d+)\s*\)\s*")
_SERVERS_ACCEPTED = "a whole number of servers (`servers: 1`) or a range to scale in (`servers: auto_scale(2-5)`)"
_DATABASE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""Written unquoted as the [databases] key and in the connection string."""
_HOST = re.compile(r"[A-Za-z0-9._:-]+")
_LISTEN_ADDR = re.compile(r"[A-Za-z0-9._:*,-]+")
_WORD = re.compile(r"[a-z0-9_-]+")


def parse_servers(value: int | str) -> tuple[int, int]:
    """The fewest and the most application servers of a tier: `1` is (1, 1), `auto_scale(2-5)` is (2, 5)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"servers {value}: at least one")
        return value, value
    found = _AUTO_SCALE.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"servers {value!r}: {_SERVERS_ACCEPTED}")
    low, high = int(found.group(1)), int(found.group(2))
    if not 1 <= low <= high:
        raise ValueError(f"servers {value!r}: the range starts at one or more and does not go down (auto_scale(2-5))")
    return low, high


@dataclass(frozen=True)
class PoolSizes:
    default_pool_size: int
    min_pool_size: int
    reserve_pool_size: int
    max_client_conn: int
    max_db_connections: int


def pool_sizes(servers: tuple[int, int], max_connections: int, per_server_clients: int = 100) -> PoolSizes:
    """PgBouncer's pool for `servers` (fewest, most) application servers, each opening up to
    `per_server_clients` connections, in front of a database that takes `max_connections`.

    Transaction pooling: a client holds a server connection only while a transaction runs, so many clients
    share few server connections, and those never exceed what the database can take.

    - Held back from PgBouncer: 10% of max_connections, at least 3 (PostgreSQL's own
      superuser_reserved_connections). They are for what must not go through a transaction pooler: a person's
      psql, monitoring, backups, and migrations (dbbasic's runner holds a session advisory lock, and CREATE INDEX
      CONCURRENTLY runs outside a transaction), which connect to PostgreSQL directly.
    - max_db_connections: the rest, PgBouncer's hard cap on server connections to the database, whatever
      the number of users or pools.
    - reserve_pool_size: a tenth of that (at least 1), opened only for a client that has waited
      reserve_pool_timeout, so a burst is absorbed without the steady pool growing.
    - default_pool_size: the remainder, so pool and reserve together stay within max_db_connections; never
      more than there can be clients.
    - max_client_conn: the most servers times the connections each opens (its own pool's size).
    - min_pool_size: a quarter of the share of the pool the fewest servers use, kept open when idle, so the
      first requests after a quiet spell do not each wait for a new backend.
    """
    low, high = servers
    if not 1 <= low <= high:
        raise ValueError(f"servers {servers}: at least one, the fewest first")
    if per_server_clients < 1:
        raise ValueError(f"{per_server_clients} connections per server: at least one")
    held_back = max(3, -(-max_connections // 10))
    budget = max_connections - held_back
    if budget < 2:
        raise ValueError(f"max_connections {max_connections}: {held_back} are held back for direct connections, "
                         f"and a pool needs 2 more; raise it to at least {held_back + 2}")
    max_client_conn = high * per_server_clients
    reserve_pool_size = max(1, budget // 10)
    default_pool_size = min(budget - reserve_pool_size, max_client_conn)
    return PoolSizes(
        default_pool_size=default_pool_size,
        min_pool_size=max(1, default_pool_size * low // high // 4),
        reserve_pool_size=reserve_pool_size,
        max_client_conn=max_client_conn,
        max_db_connections=budget,
    )


def pgbouncer_ini(database: str, host: str, port: int, sizes: PoolSizes, listen_port: int = 6432,
                  auth_file: str = "userlist.txt", listen_addr: str = "127.0.0.1", extra: dict[str, str] | None = None,
                  auth_type: str = "scram-sha-256") -> str:
    """A complete pgbouncer.ini: clients connect to `database` on `listen_addr:listen_port`, and PgBouncer to
    the same database at `host:port`. `extra` sets further [pgbouncer] settings (replacing one of these when
    it has the same name), e.g. `{"admin_users": "postgres"}`."""
    _check(database, host, port, listen_port, listen_addr, auth_type, auth_file, extra or {})
    settings = {
        "listen_addr": listen_addr,
        "listen_port": str(listen_port),
        "auth_type": auth_type,
        "auth_file": auth_file,
        "pool_mode": "transaction",
        "default_pool_size": str(sizes.default_pool_size),
        "min_pool_size": str(sizes.min_pool_size),
        "reserve_pool_size": str(sizes.reserve_pool_size),
        "reserve_pool_timeout": "5",
        "max_client_conn": str(sizes.max_client_conn),
        "max_db_connections": str(sizes.max_db_connections),
        # Used only if pool_mode is changed to session: transaction pooling never hands session state on.
        "server_reset_query": "DISCARD ALL",
        # JDBC and some drivers send it at connect; PgBouncer refuses unknown startup parameters otherwise.
        "ignore_startup_parameters": "extra_float_digits",
    } | (extra or {})
    header = [
        f"dbbasic: PgBouncer in front of {database} at {host}:{port}, transaction pooling.",
        f"No password here: {auth_file} lists each user as \"name\" \"SCRAM-SHA-256$...\", the secret a superuser",
        "reads from the database (SELECT rolname, rolpassword FROM pg_authid), never the password itself.",
        "Clients keep no session state between transactions (SET, LISTEN, advisory locks, WITH HOLD cursors,",
        "prepared statements: psycopg needs prepare_threshold=None); migrations connect to PostgreSQL directly.",
        "Raise the open-files limit (LimitNOFILE) above max_client_conn + max_db_connections.",
    ]
    lines = [*(f";; {line}" for line in header), "", "[databases]",
             f"{database} = host={host} port={port} dbname={database}", "", "[pgbouncer]",
             *(f"{name} = {value}" for name, value in settings.items())]
    return "\n".join(lines) + "\n"


def _check(database: str, host: str, port: int, listen_port: int, listen_addr: str, auth_type: str, auth_file: str,
           extra: dict[str, str]) -> None:
    if not _DATABASE.fullmatch(database):
        raise ValueError(f"database {database!r}: letters, digits and _ (PgBouncer's [databases] key)")
    if not _HOST.fullmatch(host):
        raise ValueError(f"host {host!r}: a host name or an IP address")
    for name, number in (("port", port), ("listen_port", listen_port)):
        if not 0 < number < 65536:
            raise ValueError(f"{name} {number}: between 1 and 65535")
    if not _LISTEN_ADDR.fullmatch(listen_addr):
        raise ValueError(f"listen_addr {listen_addr!r}: addresses separated by commas, or *")
    if not _WORD.fullmatch(auth_type):
        raise ValueError(f"auth_type {auth_type!r}: one of PgBouncer's, as scram-sha-256, md5, hba or trust")
    if not auth_file.strip() or _control(auth_file):
        raise ValueError(f"auth_file {auth_file!r}: a path on one line")
    for name, value in extra.items():
        if not _WORD.fullmatch(name) or _control(value):
            raise ValueError(f"setting {name} = {value!r}: a lower-case name and a one-line value")


def _control(text: str) -> bool:
    return any(ord(char) < 32 for char in text)
