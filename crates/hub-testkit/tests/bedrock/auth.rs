//! The SigV4 check: a good signature passes, and each way of spoiling one is refused with
//! AWS's 403 and exception name.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Request;
use hub_testkit::{AwsKey, BedrockMock, BedrockMockConfig};

use crate::client::{Signing, call, key, label, mock, send, sign_request, user};

const MODEL: &str = "amazon.nova-lite-v1:0";

async fn refused(mock: &BedrockMock, signing: Signing) -> (u16, String, String) {
    let reply = call(mock, MODEL, "converse", &user("hi"), &signing).await;
    let message = reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (reply.status, reply.exception(), message)
}

#[tokio::test]
async fn a_valid_signature_is_answered() {
    let mock = mock().await;
    let reply = call(&mock, MODEL, "converse", &user("hi"), &Signing::valid()).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert!(reply.headers.contains_key("x-amzn-requestid"));
}

#[tokio::test]
async fn each_spoiled_signature_is_refused() {
    let mock = mock().await;
    let cases = [
        (
            Signing {
                key: AwsKey::new("AKIDEXAMPLE", "wrong-secret"),
                ..Signing::valid()
            },
            "InvalidSignatureException",
            "does not match",
        ),
        (
            Signing {
                key: AwsKey::new("AKIDUNKNOWN", "secret"),
                ..Signing::valid()
            },
            "UnrecognizedClientException",
            "security token",
        ),
        (
            Signing {
                region: "eu-west-1",
                ..Signing::valid()
            },
            "InvalidSignatureException",
            "valid region",
        ),
        (
            Signing {
                service: "bedrock-runtime",
                ..Signing::valid()
            },
            "InvalidSignatureException",
            "correct service: 'bedrock'",
        ),
        (
            Signing {
                time: SystemTime::now() - Duration::from_secs(600),
                ..Signing::valid()
            },
            "InvalidSignatureException",
            "Signature expired",
        ),
        (
            Signing {
                key: key().with_session_token("unexpected"),
                ..Signing::valid()
            },
            "UnrecognizedClientException",
            "security token",
        ),
    ];

    for (signing, exception, message) in cases {
        let (status, name, text) = refused(&mock, signing.clone()).await;
        assert_eq!((status, name.as_str()), (403, exception), "{signing:?}");
        assert!(text.contains(message), "{signing:?}: {text}");
    }
}

#[tokio::test]
async fn a_body_changed_after_signing_is_refused() {
    let mock = mock().await;
    let signed = Bytes::from(user("hi").to_string());
    let sent = Bytes::from(user("bye").to_string());
    let path = format!("/model/{}/converse", label(MODEL));
    let mut request = Request::post(format!("http://{}{path}", mock.addr()))
        .header("host", mock.addr().to_string())
        .header("content-type", "application/json")
        .body(())
        .unwrap();
    sign_request(&mut request, &signed, &Signing::valid());

    let reply = send(mock.addr(), request, sent).await;
    assert_eq!(
        (reply.status, reply.exception().as_str()),
        (403, "InvalidSignatureException")
    );
}

#[tokio::test]
async fn a_missing_signature_is_refused() {
    let mock = mock().await;
    let request = Request::post(format!(
        "http://{}/model/{}/converse",
        mock.addr(),
        label(MODEL)
    ))
    .header("host", mock.addr().to_string())
    .header("content-type", "application/json")
    .body(())
    .unwrap();
    let reply = send(mock.addr(), request, Bytes::from(user("hi").to_string())).await;
    assert_eq!(
        (reply.status, reply.exception().as_str()),
        (403, "MissingAuthenticationTokenException")
    );
}

#[tokio::test]
async fn temporary_credentials_must_send_their_token() {
    let temporary = AwsKey::new("ASIATEMP", "temp-secret").with_session_token("the-token");
    let mock = BedrockMock::start(BedrockMockConfig {
        keys: vec![temporary.clone()],
        ..BedrockMockConfig::default()
    })
    .await
    .unwrap();

    let with_token = Signing {
        key: temporary,
        ..Signing::valid()
    };
    let reply = call(&mock, MODEL, "converse", &user("hi"), &with_token).await;
    assert_eq!(reply.status, 200);

    let without = Signing {
        key: AwsKey::new("ASIATEMP", "temp-secret"),
        ..Signing::valid()
    };
    let (status, name, _) = refused(&mock, without).await;
    assert_eq!(
        (status, name.as_str()),
        (403, "UnrecognizedClientException")
    );
}

#[tokio::test]
async fn a_bedrock_api_key_is_accepted_in_place_of_a_signature() {
    let mock = BedrockMock::start(BedrockMockConfig {
        api_keys: vec!["bedrock-api-key".to_owned()],
        ..BedrockMockConfig::default()
    })
    .await
    .unwrap();
    let request = |key: &str| {
        Request::post(format!(
            "http://{}/model/{}/converse",
            mock.addr(),
            label(MODEL)
        ))
        .header("host", mock.addr().to_string())
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(())
        .unwrap()
    };
    let body = || Bytes::from(user("hi").to_string());

    assert_eq!(
        send(mock.addr(), request("bedrock-api-key"), body())
            .await
            .status,
        200
    );
    assert_eq!(
        send(mock.addr(), request("other"), body()).await.status,
        403
    );
}

#[tokio::test]
async fn echo_credentials_quotes_the_authorization_and_the_session_token() {
    let mock = BedrockMock::start(BedrockMockConfig {
        echo_credentials: true,
        ..BedrockMockConfig::default()
    })
    .await
    .unwrap();
    let stranger = Signing {
        key: AwsKey::new("AKIDSTRANGER", "stranger-secret").with_session_token("stranger-token"),
        ..Signing::valid()
    };

    let (status, name, message) = refused(&mock, stranger).await;

    assert_eq!(
        (status, name.as_str()),
        (403, "UnrecognizedClientException")
    );
    assert!(
        message.contains("Credential=AKIDSTRANGER/")
            && message.ends_with("X-Amz-Security-Token=stranger-token"),
        "{message}"
    );
}
