"""What a tier asks of the world around the database, as checklists for a person: app servers, caches,
regions. dbbasic runs none of it, and never drops it silently: each changed value is a manual step."""

from __future__ import annotations

from typing import Any

DATABASE_KEYS = frozenset({"database"})
"""Config keys the plans build themselves (everything else is a checklist)."""

BASELINE: dict[str, Any] = {"servers": 1, "cache": "none"}
"""What a tier that does not say has: one app server, no cache (no checklist for the lowest tier's)."""

CACHES: dict[str, str] = {
    "none": "Remove the cache layer; make sure nothing reads stale entries from it meanwhile.",
    "redis": "Run Redis (managed, or one server with persistence off and maxmemory-policy allkeys-lru); cache "
             "read-mostly queries in the app with a TTL; invalidate on write; alert on hit rate and evictions.",
    "edge_cdn": "Put a CDN in front of the app: cache static assets and public GET responses with "
                "Cache-Control; send Vary on what changes them; purge on deploy; keep Redis for the app's own "
                "cache.",
    "global_edge": "Serve reads from edge locations in every region: cache keys that include the tenant, short "
                   "TTLs with stale-while-revalidate, purge by tag on write.",
}


def for_change(below: dict[str, Any], config: dict[str, Any]) -> list[tuple[str, str]]:
    """(step name, checklist) for each non-database value that differs from the tier below."""
    found = []
    for key, value in config.items():
        if key in DATABASE_KEYS or below.get(key, BASELINE.get(key)) == value:
            continue
        found.append((f"{key.replace('_', '-')}", _checklist(key, value, config)))
    return found


def _checklist(key: str, value: Any, config: dict[str, Any]) -> str:
    if key == "servers":
        if isinstance(value, str) and value.startswith("auto_scale("):
            span = value[len("auto_scale("):-1]
            return (f"Run {span} application servers behind a load balancer, scaled on CPU and request latency; "
                    "keep them stateless (sessions in the database or the cache); connect them through PgBouncer "
                    "(port 6432), not straight to PostgreSQL.")
        return f"Run {value} application server(s)."
    if key == "cache":
        return f"Cache `{value}`: " + CACHES.get(str(value), "set it up as your platform documents it.")
    if key == "deployment" and value == "multi_region":
        regions = ", ".join(config.get("regions", [])) or "the regions you serve"
        return (f"Deploy to several regions ({regions}): app servers and a read replica or Citus worker group per "
                "region, DNS or anycast routing to the nearest, writes sent to the primary's region, a failover "
                "drill before it is needed.")
    if key == "regions":
        return f"Regions: {', '.join(map(str, value))}: each gets the deployment above."
    return f"`{key}: {value}`: set it up as your platform documents it (dbbasic passes it on as written)."
