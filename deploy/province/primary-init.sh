#!/bin/bash
# Run once by the postgres image when it initialises the primary's data directory (deploy/province/compose.yaml):
# a role the replica copies and streams with, and the pg_hba line that lets it connect for replication.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATOR_PASSWORD}';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
