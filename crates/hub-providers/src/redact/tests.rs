use std::collections::BTreeMap;

use futures_util::StreamExt;
use hub_core::config::ProviderType;

use super::*;

const KEY: &str = "sk-proj-4f9a1c7e2b8d6a0f3e5c9b1d7a2e4f6c";

fn redactor() -> Redactor {
    Redactor::with([KEY])
}

#[test]
fn a_whole_credential_is_replaced_wherever_it_appears() {
    let text = format!("Incorrect API key provided: {KEY}. Key {KEY} is unknown.");
    assert_eq!(
        redactor().text(&text),
        "Incorrect API key provided: [redacted]. Key [redacted] is unknown."
    );
}

#[test]
fn long_runs_of_the_start_or_the_end_are_replaced() {
    let truncated = format!("key {}**** refused", &KEY[..20]);
    assert_eq!(redactor().text(&truncated), "key [redacted]**** refused");

    let ending = format!("key ...{} refused", &KEY[KEY.len() - 16..]);
    assert_eq!(redactor().text(&ending), "key ...[redacted] refused");
}

#[test]
fn the_few_characters_openai_shows_on_purpose_stay() {
    let text = "Incorrect API key provided: sk-********4f6c.";
    assert_eq!(redactor().text(text), text);
}

#[test]
fn short_values_are_not_searched() {
    let redactor = Redactor::with(["key", "abc12"]);
    assert_eq!(redactor.text("no key abc12"), "no key abc12");
}

#[test]
fn text_around_multibyte_characters_stays_whole() {
    let redactor = Redactor::with(["ключ-секрет-очень-длинный-1"]);
    let text = "é ключ-секрет-очень-длинный-1 é";
    assert_eq!(redactor.text(text), "é [redacted] é");
    let start = "ключ-секрет-оч…";
    assert_eq!(redactor.text(start), "[redacted]…");
}

#[test]
fn the_configuration_names_which_settings_are_credentials() {
    let mut params = BTreeMap::new();
    for (name, value) in [
        ("aws_access_key_id", "AKIAEXAMPLEKEYID0001"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "secret/Access+Key/0123456789abcdef",
        ),
        ("aws_session_token", "session-token-0123456789"),
        ("azure_ad_token", "entra-token-0123456789"),
        ("region", "us-east-1"),
    ] {
        params.insert(name.to_owned(), serde_json::Value::from(value));
    }
    let config = ProviderConfig {
        key: "p".to_owned(),
        provider_type: ProviderType::Bedrock,
        api_key: Some("api-key-0123456789".to_owned()),
        base_url: None,
        connect_timeout_ms: None,
        timeout_ms: None,
        params,
    };
    let redactor = Redactor::for_provider(&config);

    let text = "AKIAEXAMPLEKEYID0001 secret/Access+Key/0123456789abcdef \
                session-token-0123456789 entra-token-0123456789 api-key-0123456789 us-east-1";
    assert_eq!(
        redactor.text(text),
        "[redacted] [redacted] [redacted] [redacted] [redacted] us-east-1"
    );
}

#[test]
fn learned_credentials_are_replaced_and_the_oldest_forgotten() {
    // Tokens that share neither start nor end, so only whole matches count.
    let token = |serial: usize| format!("tok{serial}-{0}{0}{0}-middle-{0}{0}{0}{0}", serial);
    let redactor = Redactor::default();
    for serial in 0..=LEARNED_KEPT {
        redactor.learn(&token(serial));
    }
    assert_eq!(redactor.text(&token(1)), "[redacted]");
    assert_eq!(
        redactor.text(&token(0)),
        token(0),
        "the oldest of {} learned tokens is forgotten",
        LEARNED_KEPT + 1
    );
}

#[test]
fn every_text_of_an_error_is_scrubbed_and_the_provider_kept() {
    let body = ErrorBody::new("invalid_request_error", format!("bad key {KEY}"))
        .with_param(KEY)
        .with_code(KEY);
    let error = redactor().error(Error::UpstreamStatus {
        provider: "openai".to_owned(),
        status: 401,
        body: Box::new(body),
        retry_after: None,
    });
    let Error::UpstreamStatus { provider, body, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(provider, "openai");
    assert_eq!(body.error.message, "bad key [redacted]");
    assert_eq!(body.error.param.as_deref(), Some("[redacted]"));
    assert_eq!(body.error.code.as_deref(), Some("[redacted]"));

    let unreachable = redactor().error(Error::UpstreamProtocol {
        provider: "openai".to_owned(),
        message: format!("unexpected body: invalid type: string \"{KEY}\""),
    });
    assert!(!unreachable.to_string().contains(KEY), "{unreachable}");
}

#[tokio::test]
async fn errors_a_stream_yields_later_are_scrubbed_too() {
    let failing: hub_core::ChatStream =
        Box::pin(futures_util::stream::iter([Err(Error::UpstreamReported {
            provider: "openai".to_owned(),
            body: Box::new(ErrorBody::new("server_error", format!("failed for {KEY}"))),
        })]));
    let answer = redactor()
        .guard(async { Ok(ChatResponse::Stream(failing)) })
        .await
        .expect("the stream opens");
    let ChatResponse::Stream(mut stream) = answer else {
        panic!("a stream");
    };
    let error = stream.next().await.expect("an item").expect_err("an error");
    assert_eq!(error.to_string(), "openai: failed for [redacted]");
}

#[test]
fn debug_output_counts_the_secrets_and_shows_none() {
    let redactor = redactor();
    redactor.learn("learned-token-0123456789");
    let text = format!("{redactor:?}");
    assert_eq!(text, "Redactor { configured: 1, learned: 1 }");
}
