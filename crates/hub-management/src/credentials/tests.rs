//! Tests of secret objects: what the API accepts, what is stored, what reads show, and how
//! stored credentials resolve.

use secrecy::ExposeSecret;
use serde_json::json;

use super::*;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn keyring() -> Keyring {
    Keyring::new(KEY, &[]).unwrap()
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn seal_config(
    config: Value,
    previous: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, Vec<Fault>> {
    seal(
        object(config),
        PROVIDER_CREDENTIALS,
        previous,
        "provider/1",
        &keyring(),
        "config",
    )
}

#[test]
fn a_literal_is_stored_sealed_and_opens_in_its_place() {
    let stored = seal_config(
        json!({"api_key": {"type": "literal", "value": "sk-123"}, "organization_id": "org"}),
        None,
    )
    .unwrap();

    assert_eq!(stored["organization_id"], "org");
    let api_key = &stored["api_key"];
    assert_eq!(api_key["type"], "literal");
    assert!(api_key.get("value").is_none());
    assert!(!api_key.to_string().contains("sk-123"));

    let sealed = sealed_literals(&Value::Object(stored.clone()), PROVIDER_CREDENTIALS);
    assert_eq!(sealed.len(), 1);
    let opened = keyring().open(&sealed[0].1, "provider/1/api_key").unwrap();
    assert_eq!(opened.expose_secret(), "sk-123");
}

#[test]
fn references_are_stored_as_given() {
    let config = json!({
        "aws_access_key_id": {"type": "environment", "variable_name": "AWS_ID"},
        "aws_secret_access_key": {"type": "secret", "name": "aws"},
    });
    let stored = seal_config(config.clone(), None).unwrap();
    assert_eq!(Value::Object(stored), config);
}

#[test]
fn every_provider_setting_that_holds_a_credential_takes_a_secret_object() {
    for setting in [
        "api_key",
        "azure_ad_token",
        "aws_session_token",
        "credentials_json",
    ] {
        let plain = seal_config(json!({ setting: "plain-credential-01" }), None);
        let faults = plain.expect_err("a plain credential is refused");
        assert!(
            faults[0].to_string().contains("must be a secret object"),
            "{setting}: {faults:?}"
        );

        let literal = json!({ setting: {"type": "literal", "value": "literal-credential-02"} });
        let stored = seal_config(literal, None).unwrap();
        let shown = mask(&Value::Object(stored), PROVIDER_CREDENTIALS);
        assert!(
            !shown.to_string().contains("literal-credential-02"),
            "{shown}"
        );
    }
}

#[test]
fn refuses_what_is_not_a_well_formed_secret_object() {
    let cases = [
        (json!("sk-plain"), "a credential must be a secret object"),
        (
            json!({"type": "vault", "path": "x"}),
            "unknown variant `vault`",
        ),
        (
            json!({"type": "literal", "value": "v", "extra": 1}),
            "unknown field `extra`",
        ),
        (json!({"type": "literal"}), "missing field `value`"),
        (
            json!({"type": "literal", "value": ""}),
            "`value` must not be empty",
        ),
        (
            json!({"type": "environment", "variable_name": "1X"}),
            "`variable_name` must be",
        ),
        (
            json!({"type": "secret", "name": " "}),
            "`name` must not be empty",
        ),
        (json!({"type": "literal", "value": MASK}), "none is stored"),
    ];

    for (credential, expected) in cases {
        let faults = seal_config(json!({"api_key": credential}), None).unwrap_err();
        assert_eq!(faults[0].field, "config.api_key");
        assert!(
            faults[0].message.contains(expected),
            "{credential}: {}",
            faults[0].message
        );
    }
}

#[test]
fn the_mask_keeps_the_literal_stored_at_the_same_setting() {
    let first = seal_config(
        json!({"api_key": {"type": "literal", "value": "sk-1"}}),
        None,
    )
    .unwrap();

    let again = seal_config(
        json!({"api_key": {"type": "literal", "value": MASK}, "project_id": "p"}),
        Some(&first),
    )
    .unwrap();

    assert_eq!(again["api_key"], first["api_key"]);
    assert_eq!(again["project_id"], "p");
}

#[test]
fn reads_mask_literals_only() {
    let stored = seal_config(
        json!({
            "api_key": {"type": "literal", "value": "sk-1"},
            "aws_session_token": {"type": "environment", "variable_name": "TOKEN"},
            "region": "eu-west-1",
        }),
        None,
    )
    .unwrap();

    let shown = mask(&Value::Object(stored), PROVIDER_CREDENTIALS);

    assert_eq!(
        shown,
        json!({
            "api_key": {"type": "literal", "value": MASK},
            "aws_session_token": {"type": "environment", "variable_name": "TOKEN"},
            "region": "eu-west-1",
        })
    );
}

/// Resolves from fixed answers, recording nothing.
struct Fixed;

impl Resolve for Fixed {
    fn literal(&self, sealed: &Sealed, context: &str) -> Result<String, String> {
        keyring()
            .open(sealed, context)
            .map(|value| value.expose_secret().to_owned())
            .map_err(|error| error.to_string())
    }

    fn environment(&self, name: &str) -> Result<String, String> {
        match name {
            "SET" => Ok("from-env".to_owned()),
            _ => Err(format!("environment variable {name} is not set")),
        }
    }

    fn secret(&self, name: &str) -> Result<String, String> {
        Err(format!("no secret named {name:?}"))
    }
}

#[test]
fn resolves_each_credential_and_reports_each_that_cannot_be() {
    let mut stored = seal_config(
        json!({
            "api_key": {"type": "literal", "value": "sk-1"},
            "aws_access_key_id": {"type": "environment", "variable_name": "SET"},
            "aws_secret_access_key": {"type": "environment", "variable_name": "UNSET"},
            "aws_session_token": {"type": "secret", "name": "gone"},
            "region": "r",
        }),
        None,
    )
    .unwrap();
    stored.insert(
        "AWS_SESSION_TOKEN".to_owned(),
        json!("plain, written around the API"),
    );

    let mut faults = Vec::new();
    let resolved = resolve(
        &stored,
        PROVIDER_CREDENTIALS,
        "provider/1",
        &Fixed,
        &mut faults,
    );

    assert_eq!(resolved["api_key"], "sk-1");
    assert_eq!(resolved["aws_access_key_id"], "from-env");
    assert_eq!(resolved["region"], "r");
    let names: Vec<&str> = faults.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWS_SESSION_TOKEN",
            "aws_secret_access_key",
            "aws_session_token"
        ]
    );
    assert!(faults[0].1.contains("not a stored secret object"));
}

#[test]
fn a_literal_moved_to_another_provider_does_not_open() {
    let stored = seal_config(
        json!({"api_key": {"type": "literal", "value": "sk-1"}}),
        None,
    )
    .unwrap();

    let mut faults = Vec::new();
    resolve(
        &stored,
        PROVIDER_CREDENTIALS,
        "provider/2",
        &Fixed,
        &mut faults,
    );

    assert_eq!(faults.len(), 1);
    assert!(
        faults[0].1.contains("altered or belongs elsewhere"),
        "{:?}",
        faults[0]
    );
}
