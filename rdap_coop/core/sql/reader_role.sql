-- The role the lookup services connect as: it may read the replica and nothing else.
-- Run once per cluster by the registry's DBA (or by `rdap-coop sample load`).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rdap_coop_reader') THEN
        CREATE ROLE rdap_coop_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
ALTER ROLE rdap_coop_reader SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public TO rdap_coop_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO rdap_coop_reader;
GRANT EXECUTE ON FUNCTION registry_freshness() TO rdap_coop_reader;
