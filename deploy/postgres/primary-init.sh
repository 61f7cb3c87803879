#!/bin/sh
# Runs once, when the primary's data directory is first created (the postgres image's
# /docker-entrypoint-initdb.d): the roles and the replication slot the trial needs.
#
# - replicator: may stream WAL, nothing else; the standby clones the primary with it.
# - rdap_coop_reader: the lookup services' role, created here only to give it a
#   password; `rdap-coop sample load` (rdap_coop/core/sql/reader_role.sql) grants it
#   SELECT and makes its transactions read-only. It can log in on the standby only
#   (primary-pg_hba.conf rejects it here).
# - replica_1: a physical slot, so the primary keeps the WAL the standby has not
#   received yet (bounded by max_slot_wal_keep_size).
set -e

: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD must be set}"
: "${READER_PASSWORD:?READER_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v replication_password="$REPLICATION_PASSWORD" \
    -v reader_password="$READER_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replication_password';
CREATE ROLE rdap_coop_reader WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    PASSWORD :'reader_password';
SELECT pg_create_physical_replication_slot('replica_1');
SQL
