#!/bin/sh
# Stands in for the registry's own writes: the registry stamps registry_state with each
# change and periodically as a heartbeat (rdap_coop/core/sql/schema.sql). Without it the
# trial's standby would replay nothing new, its lag would grow without bound, /ready
# would fail after RDAP_COOP_READY_MAX_LAG_SECONDS and the lag alerts would fire.
set -u

export PGPASSWORD="$POSTGRES_PASSWORD"
trap 'exit 0' TERM INT

while :; do
    psql --host=primary --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" \
        --quiet --no-psqlrc --command="UPDATE registry_state SET last_change_at = now()" \
        >/dev/null || echo "heartbeat: the primary did not take the stamp" >&2
    sleep "${HEARTBEAT_SECONDS:-60}" &
    wait $!
done
