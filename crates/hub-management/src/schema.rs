//! The tables of `migrations/`, as diesel sees them. Written by hand from the SQL: a change
//! to one is a change to the other, and the repository tests run every query against the
//! migrated schema.

diesel::table! {
    config_revision (singleton) {
        singleton -> Bool,
        revision -> Int8,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    secrets (id) {
        id -> Uuid,
        name -> Text,
        key_id -> Text,
        nonce -> Bytea,
        ciphertext -> Bytea,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    providers (id) {
        id -> Uuid,
        name -> Text,
        provider_type -> Text,
        config -> Jsonb,
        enabled -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    model_definitions (id) {
        id -> Uuid,
        key -> Text,
        model_type -> Text,
        provider_id -> Uuid,
        config -> Jsonb,
        enabled -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    pipelines (id) {
        id -> Uuid,
        name -> Text,
        pipeline_type -> Text,
        description -> Nullable<Text>,
        enabled -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    pipeline_plugins (pipeline_id, position) {
        pipeline_id -> Uuid,
        position -> Int4,
        plugin_type -> Text,
        config_data -> Jsonb,
        order_in_pipeline -> Int4,
        enabled -> Bool,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        name -> Text,
        key_prefix -> Text,
        key_sha256 -> Bytea,
        enabled -> Bool,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(model_definitions -> providers (provider_id));
diesel::joinable!(pipeline_plugins -> pipelines (pipeline_id));

diesel::allow_tables_to_appear_in_same_query!(
    config_revision,
    secrets,
    providers,
    model_definitions,
    pipelines,
    pipeline_plugins,
    api_keys,
);
