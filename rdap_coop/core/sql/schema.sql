-- The .coop registry replica: the contract for what the read-only replica holds.
--
-- The registry's primary database is not ours; this file describes the part of it
-- the lookup services read. Every lookup the services make is served by an index
-- declared here. Times are timestamptz and rendered in UTC. EPP statuses are stored
-- as EPP tokens (RFC 5731/5732/3915); mapping to RDAP (RFC 8056) happens in code.

CREATE TABLE registrar (
    iana_id          integer PRIMARY KEY CHECK (iana_id > 0),
    name             text NOT NULL,
    url              text NOT NULL,
    whois_server     text,
    rdap_base_url    text,               -- from the IANA registrar-ID registry; ends with '/'
    street           text[] NOT NULL DEFAULT '{}',
    city             text NOT NULL,
    state_province   text,
    postal_code      text,
    country_code     char(2) NOT NULL,
    phone            text,               -- E.164a, '+CC.NNNN'
    fax              text,
    email            text NOT NULL,
    abuse_email      text NOT NULL,
    abuse_phone      text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz
);
CREATE UNIQUE INDEX registrar_name_lower_idx ON registrar (lower(name));

CREATE TABLE contact (
    roid             text PRIMARY KEY CHECK (roid ~ '^C[0-9A-Z_]{1,78}-COOP$'),
    registrar_id     integer NOT NULL REFERENCES registrar (iana_id),
    name             text NOT NULL,
    organisation     text,
    street           text[] NOT NULL DEFAULT '{}',
    city             text NOT NULL,
    state_province   text,
    postal_code      text,
    country_code     char(2) NOT NULL,
    voice            text,
    voice_ext        text,
    fax              text,
    fax_ext          text,
    email            text NOT NULL,
    -- EPP <contact:disclose flag="1"> elements the contact consented to publish
    -- (RFC 5733 §2.9): any of 'name', 'org', 'addr', 'voice', 'fax', 'email'.
    -- Absence means the datum is withheld from the public.
    disclose         text[] NOT NULL DEFAULT '{}'
                     CHECK (disclose <@ ARRAY['name','org','addr','voice','fax','email']),
    statuses         text[] NOT NULL DEFAULT '{ok}' CHECK (cardinality(statuses) > 0),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz
);
CREATE INDEX contact_registrar_idx ON contact (registrar_id);
-- Reverse search (RFC 9536, law enforcement only) by contact name or email.
CREATE INDEX contact_name_lower_idx ON contact (lower(name));
CREATE INDEX contact_email_lower_idx ON contact (lower(email));

CREATE TABLE domain (
    roid                      text PRIMARY KEY CHECK (roid ~ '^D[0-9A-Z_]{1,78}-COOP$'),
    ldh_name                  text NOT NULL UNIQUE
                              CHECK (ldh_name = lower(ldh_name) AND ldh_name LIKE '%.coop'),
    unicode_name              text,       -- NFC U-label form, only for IDNs
    registrar_id              integer NOT NULL REFERENCES registrar (iana_id),
    registrant_roid           text REFERENCES contact (roid),
    statuses                  text[] NOT NULL CHECK (cardinality(statuses) > 0),
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz,
    expires_at                timestamptz NOT NULL,
    transferred_at            timestamptz,
    -- Cooperative eligibility verification (the sponsor's charter check).
    eligibility_verified_by   text,
    eligibility_verified_at   timestamptz,
    CHECK ((eligibility_verified_by IS NULL) = (eligibility_verified_at IS NULL))
);
CREATE INDEX domain_registrar_idx ON domain (registrar_id);
CREATE INDEX domain_registrant_idx ON domain (registrant_roid);
CREATE INDEX domain_unicode_name_idx ON domain (unicode_name) WHERE unicode_name IS NOT NULL;
-- Searches (RFC 9082 §3.2): prefix matching and keyset paging in byte order,
-- whatever the database's default collation.
CREATE INDEX domain_ldh_name_c_idx ON domain (ldh_name COLLATE "C");
CREATE INDEX domain_unicode_name_c_idx ON domain (unicode_name COLLATE "C")
    WHERE unicode_name IS NOT NULL;

CREATE TABLE domain_contact (
    domain_roid      text NOT NULL REFERENCES domain (roid) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('admin', 'tech', 'billing')),
    contact_roid     text NOT NULL REFERENCES contact (roid),
    PRIMARY KEY (domain_roid, role)
);
CREATE INDEX domain_contact_contact_idx ON domain_contact (contact_roid);

CREATE TABLE ds_record (
    domain_roid      text NOT NULL REFERENCES domain (roid) ON DELETE CASCADE,
    key_tag          integer NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
    algorithm        smallint NOT NULL CHECK (algorithm BETWEEN 1 AND 255),
    digest_type      smallint NOT NULL CHECK (digest_type BETWEEN 1 AND 255),
    digest           text NOT NULL CHECK (digest ~ '^[0-9A-F]+$'),
    PRIMARY KEY (domain_roid, key_tag, algorithm, digest_type, digest)
);

CREATE TABLE host (
    roid             text PRIMARY KEY CHECK (roid ~ '^H[0-9A-Z_]{1,78}-COOP$'),
    ldh_name         text NOT NULL UNIQUE CHECK (ldh_name = lower(ldh_name)),
    unicode_name     text,
    registrar_id     integer NOT NULL REFERENCES registrar (iana_id),
    statuses         text[] NOT NULL DEFAULT '{ok}' CHECK (cardinality(statuses) > 0),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz
);
CREATE INDEX host_registrar_idx ON host (registrar_id);
CREATE INDEX host_ldh_name_c_idx ON host (ldh_name COLLATE "C");
CREATE INDEX host_ldh_name_reversed_idx ON host (reverse(ldh_name) COLLATE "C");

CREATE TABLE host_address (
    host_roid        text NOT NULL REFERENCES host (roid) ON DELETE CASCADE,
    address          inet NOT NULL,
    PRIMARY KEY (host_roid, address)
);
CREATE INDEX host_address_address_idx ON host_address (address);

CREATE TABLE domain_host (
    domain_roid      text NOT NULL REFERENCES domain (roid) ON DELETE CASCADE,
    host_roid        text NOT NULL REFERENCES host (roid),
    position         smallint NOT NULL CHECK (position >= 0),
    PRIMARY KEY (domain_roid, host_roid),
    UNIQUE (domain_roid, position)
);
CREATE INDEX domain_host_host_idx ON domain_host (host_roid);

-- Names withheld from registration: the sponsor's generic "Community Names",
-- registry-operations names and ICANN-reserved labels (.coop agreement App. 6).
CREATE TABLE reserved_name (
    ldh_name         text PRIMARY KEY
                     CHECK (ldh_name = lower(ldh_name) AND ldh_name LIKE '%.coop'),
    reserved_by      text NOT NULL CHECK (reserved_by IN ('sponsor', 'registry', 'icann')),
    reason           text NOT NULL
);

-- Freshness on a primary: the registry stamps this row with each committed change
-- (and periodically, as a heartbeat). On a hot standby the replay position is the
-- honest answer and this row is only the fall-back before anything has replayed.
CREATE TABLE registry_state (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_change_at   timestamptz NOT NULL
);

CREATE FUNCTION registry_freshness() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN pg_is_in_recovery()
            THEN coalesce(pg_last_xact_replay_timestamp(),
                          (SELECT last_change_at FROM registry_state))
        ELSE (SELECT last_change_at FROM registry_state)
    END
$$;
