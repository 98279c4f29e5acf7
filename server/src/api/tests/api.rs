//! Unit tests of the API's edge (the `SSWS` header).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn with(value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        axum::http::header::AUTHORIZATION,
        HeaderValue::from_str(value).unwrap(),
    );
    h
}

#[test]
fn ssws_tokens_are_read_with_or_without_the_space() {
    assert_eq!(presented_token(&with("SSWS 00abc")), Some("00abc"));
    assert_eq!(presented_token(&with("SSWS00abc")), Some("00abc"));
    assert_eq!(presented_token(&with("SSWS  00abc")), Some("00abc"));
    assert_eq!(presented_token(&with("Bearer 00abc")), None);
    assert_eq!(presented_token(&with("SSWS ")), None);
    assert_eq!(presented_token(&with("SSWS 00a bc")), None);
    assert_eq!(presented_token(&HeaderMap::new()), None);
}
