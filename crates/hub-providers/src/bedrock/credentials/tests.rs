//! The cache against a scripted credential source.

use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// Hands out the scripted answers in order, counting calls; the last answer repeats.
#[derive(Debug)]
struct Scripted {
    answers: StdMutex<Vec<Result<Duration, &'static str>>>,
    calls: Arc<AtomicUsize>,
}

impl Scripted {
    /// Each answer is credentials valid for that long, or a failure.
    fn new(answers: Vec<Result<Duration, &'static str>>) -> (Scripted, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let scripted = Scripted {
            answers: StdMutex::new(answers),
            calls: Arc::clone(&calls),
        };
        (scripted, calls)
    }
}

impl ProvideCredentials for Scripted {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = {
            let mut answers = self.answers.lock().unwrap();
            if answers.len() > 1 {
                answers.remove(0)
            } else {
                answers[0]
            }
        };
        future::ProvideCredentials::ready(answer.map_err(CredentialsError::not_loaded).map(
            |valid_for| {
                Credentials::new(
                    format!("AKID{call}"),
                    "secret",
                    Some("token".to_owned()),
                    Some(SystemTime::now() + valid_for),
                    "scripted",
                )
            },
        ))
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn credentials_are_fetched_once_while_fresh() {
    let (source, calls) = Scripted::new(vec![Ok(HOUR)]);
    let cache = CredentialCache::new(source);

    for _ in 0..5 {
        assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID0");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn credentials_close_to_expiry_are_refreshed_before_use() {
    let (source, calls) = Scripted::new(vec![Ok(Duration::from_secs(120)), Ok(HOUR)]);
    let cache = CredentialCache::new(source);

    assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID0");
    assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID1");
    assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_credentials_that_still_work() {
    let (source, _) = Scripted::new(vec![Ok(Duration::from_secs(120)), Err("endpoint down")]);
    let cache = CredentialCache::new(source);

    assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID0");
    assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID0");
}

#[tokio::test]
async fn a_failed_fetch_without_usable_credentials_is_an_error() {
    let (source, _) = Scripted::new(vec![Ok(Duration::from_secs(2)), Err("endpoint down")]);
    let cache = CredentialCache::new(source);

    cache.get().await.unwrap();
    let error = cache.get().await.unwrap_err();
    assert!(format!("{error:?}").contains("endpoint down"), "{error:?}");
}

#[tokio::test]
async fn concurrent_requests_share_one_fetch() {
    let (source, calls) = Scripted::new(vec![Ok(HOUR)]);
    let cache = Arc::new(CredentialCache::new(source));

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.get().await.map(|c| c.access_key_id().to_owned()) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "AKID0");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn static_keys_never_expire_and_never_show() {
    let cache = CredentialCache::fixed("AKIDSTATIC", "super-secret", Some("session-secret"));
    let credentials = cache.get().await.unwrap();

    assert_eq!(credentials.access_key_id(), "AKIDSTATIC");
    assert_eq!(credentials.session_token(), Some("session-secret"));
    let text = format!("{cache:?} {credentials:?}");
    assert!(
        !text.contains("super-secret") && !text.contains("session-secret"),
        "{text}"
    );
}

#[tokio::test]
async fn fetched_credentials_are_taught_to_the_redactor() {
    let redactor = Redactor::default();
    let chain = Credentials::new(
        "ASIACHAINKEYID000001",
        "chain-secret-access-key-0002",
        Some("chain-session-token-0003".to_owned()),
        None,
        "chain",
    );
    let cache = CredentialCache::new(chain).learning_into(redactor.clone());

    cache.get().await.unwrap();

    let quoted = "ASIACHAINKEYID000001 chain-secret-access-key-0002 chain-session-token-0003";
    assert_eq!(redactor.text(quoted), "[redacted] [redacted] [redacted]");
}
