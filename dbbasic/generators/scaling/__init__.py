"""Scaling tiers compiled to artifacts: one module per kind of artifact (server settings, pooler, replicas,
partitions, sharding)."""
