//! The management API's request bodies and list queries, as `hub-admin` reads them before
//! any database work. Whatever arrives, a refusal is the client's fault (400 or 422) with a
//! JSON error body, never a server error.

use hub_management::api::fuzzing::{BODIES, Refusal, decode_body, read_page_query};

/// The first byte picks the body's resource and kind; the rest is the body, and read as a
/// query string too.
pub(crate) fn request(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let kind = BODIES[usize::from(pick) % BODIES.len()];
    if let Err(refusal) = decode_body(kind, body) {
        check(&refusal, &[400, 422]);
    }
    if let Ok(query) = std::str::from_utf8(body)
        && let Err(refusal) = read_page_query(query)
    {
        check(&refusal, &[400]);
    }
}

fn check(refusal: &Refusal, statuses: &[u16]) {
    assert!(
        statuses.contains(&refusal.status.as_u16()),
        "refused with {}",
        refusal.status
    );
    let body: serde_json::Value =
        serde_json::from_slice(&refusal.body).expect("a refusal's body is JSON");
    assert!(body["error"]["message"].is_string(), "{body}");
}
