//! Unit tests of `api::paging`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn pages_follow_the_key_of_the_last_item_and_stop_at_the_end() {
    let cursor = Cursor::new(Some("2"), None, 20, 200).unwrap();
    let items = vec!["a", "b", "c", "d", "e"];
    let key = |s: &&str| s.to_string();
    let (page, next) = cursor.page(items.clone(), key);
    assert_eq!((page, next.as_deref()), (vec!["a", "b"], Some("b")));
    let cursor = Cursor::new(Some("2"), Some("d"), 20, 200).unwrap();
    let (page, next) = cursor.page(items.clone(), key);
    assert_eq!((page, next), (vec!["e"], None));
    let cursor = Cursor::new(Some("2"), Some("c"), 20, 200).unwrap();
    assert_eq!(cursor.page(items, key).1, None);
    assert_eq!(Cursor::new(Some("900"), None, 20, 200).unwrap().limit, 200);
    assert!(Cursor::new(Some("0"), None, 20, 200).is_err());
    assert!(Cursor::new(Some("x"), None, 20, 200).is_err());
}

#[test]
fn links_are_absolute_self_first_and_keep_the_query() {
    let paged = Paged {
        items: vec![1, 2],
        uri: "/api/v1/realms?search=profile.name%20co%20%22A%22&limit=2&after=x"
            .parse()
            .unwrap(),
        public_url: "https://portal.example/".into(),
        limit: 2,
        next: Some("guo2".into()),
    };
    let response = paged.into_response();
    let links: Vec<_> = response
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        links,
        vec![
            "<https://portal.example/api/v1/realms?search=profile.name+co+%22A%22&limit=2>; rel=\"self\"",
            "<https://portal.example/api/v1/realms?search=profile.name+co+%22A%22&after=guo2&limit=2>; rel=\"next\"",
        ]
    );
}
