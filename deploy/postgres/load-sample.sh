#!/bin/sh
# The one-shot loader of docker-compose.yml: `rdap-coop sample load` into the primary,
# as the registry's owner, once. Loading twice would fail on the existing schema, so a
# registry that is already there is left as it is and the loader succeeds.
set -eu

export PGPASSWORD="$POSTGRES_PASSWORD"  # asyncpg reads it, so the DSN carries none
OWNER_DSN="postgresql://${POSTGRES_USER}@primary:5432/${POSTGRES_DB}"
export OWNER_DSN

if python - <<'PY'
import asyncio
import os
import sys

import asyncpg


async def loaded() -> bool:
    connection = await asyncpg.connect(os.environ["OWNER_DSN"])
    try:
        return bool(await connection.fetchval(
            "SELECT to_regclass('public.registry_state') IS NOT NULL"))
    finally:
        await connection.close()

sys.exit(0 if asyncio.run(loaded()) else 1)
PY
then
    echo "sample-loader: the registry is already loaded; nothing to do"
    exit 0
fi

exec rdap-coop sample load --dsn "$OWNER_DSN" --domains "${SAMPLE_DOMAINS:-10000}"
