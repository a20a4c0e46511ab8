-- Keys clients present to gateways as `Authorization: Bearer <key>`. Only the SHA-256 digest
-- of a key is stored, never the key: keys are long and random, so the digest cannot be
-- reversed or searched. key_prefix is the key's first characters, for an operator to
-- recognize it by.
CREATE TABLE api_keys (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    key_sha256 BYTEA NOT NULL UNIQUE CHECK (octet_length(key_sha256) = 32),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A key created, disabled or deleted reaches every gateway as any other change does.
CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION config_changed();
