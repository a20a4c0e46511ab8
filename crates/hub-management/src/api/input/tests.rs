//! Tests of reading requests: bodies decoded with the path of a wrong field, paging
//! parameters, and `If-Match`.

use http::HeaderValue;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "the fields are read by the decoder only")]
struct Body {
    name: String,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "the fields are read by the decoder only")]
struct Item {
    size: u32,
}

fn refusal(body: &str) -> ApiError {
    decode::<Body>(body.as_bytes()).expect_err("the body should be refused")
}

fn field_of(error: &ApiError) -> (&str, &str) {
    match error {
        ApiError::Unprocessable { faults } => (&faults[0].field, &faults[0].message),
        other => panic!("expected a shape fault, got {other:?}"),
    }
}

#[test]
fn a_shape_fault_names_the_field_by_its_path() {
    let unknown = refusal(r#"{"name": "a", "colour": 1}"#);
    assert_eq!(field_of(&unknown).0, "colour");

    let nested = refusal(r#"{"name": "a", "items": [{"size": 1}, {"size": "big"}]}"#);
    assert_eq!(field_of(&nested).0, "items[1].size");

    let missing = refusal(r#"{"items": []}"#);
    assert_eq!(field_of(&missing), ("name", "missing field `name`"));

    let nested_missing = refusal(r#"{"name": "a", "items": [{}]}"#);
    assert_eq!(field_of(&nested_missing).0, "items[0].size");
}

#[test]
fn a_wrong_type_does_not_repeat_the_string_given() {
    let error = refusal(r#"{"name": "a", "items": [{"size": "sk-secret"}]}"#);
    let (_, message) = field_of(&error);
    assert!(!message.contains("sk-secret"), "{message}");
    assert!(message.starts_with("invalid type: string"), "{message}");
}

#[test]
fn a_value_the_database_cannot_keep_is_refused_where_it_is() {
    let nul = refusal(r#"{"name": "a\u0000b"}"#);
    assert_eq!(field_of(&nul), ("name", HOLDS_NUL));
    let text_that_looks_like_one = r#"{"name": "C:\\u0000"}"#;
    assert!(decode::<Body>(text_that_looks_like_one.as_bytes()).is_ok());
    assert!(page_request(Some("after=a%00b")).is_err());
}

#[test]
fn text_that_is_not_json_is_malformed() {
    for body in ["", "  \n", "{\"name\": ", "name=a", r#"{"name": "a"} {}"#] {
        assert!(
            matches!(refusal(body), ApiError::MalformedJson(_)),
            "{body:?}"
        );
    }
}

#[test]
fn reads_paging_parameters() {
    let page = page_request(Some("limit=20&after=gpt%204o%2Fmini")).unwrap();
    assert_eq!(page.limit, Some(20));
    assert_eq!(page.after.as_deref(), Some("gpt 4o/mini"));
    assert_eq!(
        page_request(Some("after=a+b")).unwrap().after.as_deref(),
        Some("a b")
    );
    assert!(page_request(None).unwrap().limit.is_none());

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("offset=3", "offset"),
    ] {
        match page_request(Some(query)) {
            Err(ApiError::BadRequest { field: named, .. }) => assert_eq!(named, field),
            other => panic!("{query}: {other:?}"),
        }
    }
}

#[test]
fn percent_encoding_round_trips() {
    for text in ["plain", "with space/slash?&=", "é-ü", "a+b%"] {
        let query = format!("after={}", percent_encode(text));
        assert_eq!(
            page_request(Some(&query)).unwrap().after.as_deref(),
            Some(text)
        );
    }
}

fn if_match(value: &str) -> Result<Precondition, ApiError> {
    let mut headers = HeaderMap::new();
    headers.insert(header::IF_MATCH, HeaderValue::from_str(value).unwrap());
    precondition(&headers)
}

#[test]
fn reads_if_match() {
    assert_eq!(
        precondition(&HeaderMap::new()).unwrap(),
        Precondition::default()
    );
    assert_eq!(if_match("*").unwrap().if_match, Some(vec![]));
    assert_eq!(if_match("\"3\"").unwrap().if_match, Some(vec![3]));
    assert_eq!(
        if_match("W/\"3\", \"4\"").unwrap().if_match,
        Some(vec![3, 4])
    );
    assert_eq!(etag(3), "\"3\"");

    for bad in ["3", "\"three\"", "\"3", ""] {
        assert!(if_match(bad).is_err(), "{bad:?}");
    }
}
