-- Hub's configuration in database mode: providers, the models they serve, pipelines with
-- their plugins, named secrets, and a revision that every change bumps so gateways can
-- follow it.

-- One row. Gateways compare its revision with the one they serve; every change to the
-- tables below bumps it through the trigger at the end of this file.
CREATE TABLE config_revision (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    revision BIGINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO config_revision (singleton, revision) VALUES (TRUE, 1);

-- Values are sealed with AES-256-GCM under the key named by key_id; no plain value is
-- ever stored.
CREATE TABLE secrets (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_id TEXT NOT NULL,
    nonce BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- config holds the type's settings; a credential in it is a secret object, and a literal
-- one is stored sealed.
CREATE TABLE providers (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    provider_type TEXT NOT NULL,
    config JSONB NOT NULL DEFAULT '{}',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE model_definitions (
    id UUID PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    model_type TEXT NOT NULL,
    -- A provider that still serves models cannot be deleted.
    provider_id UUID NOT NULL REFERENCES providers (id) ON DELETE RESTRICT,
    config JSONB NOT NULL DEFAULT '{}',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX model_definitions_provider_id ON model_definitions (provider_id);

CREATE TABLE pipelines (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    pipeline_type TEXT NOT NULL,
    description TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A pipeline's plugins, replaced whole when the pipeline is written. position keeps the
-- order they were given in, which breaks ties of order_in_pipeline.
CREATE TABLE pipeline_plugins (
    pipeline_id UUID NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    plugin_type TEXT NOT NULL,
    config_data JSONB NOT NULL DEFAULT '{}',
    order_in_pipeline INTEGER NOT NULL DEFAULT 0,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (pipeline_id, position)
);

-- Any change, through hub-admin or straight in SQL, bumps the revision and wakes the
-- gateways listening on hub_config_changed. NOTIFY is delivered on commit, and identical
-- notifications of one transaction are folded into one.
CREATE FUNCTION config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_revision SET revision = revision + 1, changed_at = now();
    PERFORM pg_notify('hub_config_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER secrets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON secrets
    FOR EACH STATEMENT EXECUTE FUNCTION config_changed();
CREATE TRIGGER providers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON providers
    FOR EACH STATEMENT EXECUTE FUNCTION config_changed();
CREATE TRIGGER model_definitions_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON model_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION config_changed();
CREATE TRIGGER pipelines_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pipelines
    FOR EACH STATEMENT EXECUTE FUNCTION config_changed();
CREATE TRIGGER pipeline_plugins_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pipeline_plugins
    FOR EACH STATEMENT EXECUTE FUNCTION config_changed();
