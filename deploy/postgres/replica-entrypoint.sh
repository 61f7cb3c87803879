#!/bin/sh
# The hot standby: on first start, clone the primary with `pg_basebackup -R` (which
# writes standby.signal and primary_conninfo), then run Postgres in recovery,
# streaming WAL from the primary through the slot primary-init.sh created.
set -eu

PGDATA="${PGDATA:-/var/lib/postgresql/data}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    echo "replica: cloning the primary into $PGDATA"
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
        --host=primary --port=5432 --username=replicator \
        --pgdata="$PGDATA" --wal-method=stream --slot=replica_1 \
        --write-recovery-conf --checkpoint=fast --progress
    chmod 0700 "$PGDATA"
fi

# hot_standby_feedback: long lookups are not cancelled by vacuum on the primary.
exec postgres \
    -c hba_file=/etc/postgresql/pg_hba.conf \
    -c hot_standby=on \
    -c hot_standby_feedback=on
