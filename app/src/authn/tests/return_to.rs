//! Where the browser may go after sign-in.

use super::local_return_to;

#[test]
fn return_to_stays_on_the_portal() {
    let origin = "https://portal.example";
    for ok in [
        "/",
        "/users?status=ACTIVE",
        "/users/00u1#groups",
        "/a/b/../c",
    ] {
        assert!(local_return_to(origin, ok).is_some(), "{ok} refused");
    }
    assert_eq!(
        local_return_to(origin, "/a/b/../c").as_deref(),
        Some("/a/c")
    );
    for bad in [
        "/\t/evil.example",
        "/\t\\evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\r\n/evil.example",
        "/%09/evil.example",
        "/%2F/evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%0d%0a/evil.example",
        "https://evil.example/",
        "evil.example",
        "",
        "javascript:alert(1)",
    ] {
        assert_eq!(local_return_to(origin, bad), None, "{bad:?} accepted");
    }
}
