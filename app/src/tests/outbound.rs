//! The outbound policy: parsed issuers, internal addresses refused.

use super::*;

#[test]
fn issuers_are_parsed_not_prefix_matched() {
    let strict = OutboundPolicy::STRICT;
    let dev = OutboundPolicy::admin_configured(true);
    assert!(strict
        .check_issuer("https://idp.example.com/tenant")
        .is_ok());
    for bad in [
        // The review's bypasses: userinfo, a lookalike name, query and fragment.
        "http://localhost@169.254.169.254/latest/meta-data",
        "https://localhost@169.254.169.254/x",
        "https://user:pw@idp.example.com",
        "http://127.0.0.1.attacker.example/x",
        "https://idp.example.com/x?",
        "https://idp.example.com/x?q=1",
        "https://idp.example.com/x#",
        // Internal addresses, whatever the scheme.
        "https://10.0.0.5:8443/actuator",
        "https://169.254.169.254/",
        "https://192.168.1.1/",
        "https://172.16.0.1/",
        "https://100.64.0.1/",
        "https://[fd00::1]/",
        "https://[fe80::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://0.0.0.0/",
        "ftp://idp.example.com",
        "not a url",
    ] {
        assert!(strict.check_issuer(bad).is_err(), "strict accepted {bad}");
        assert!(dev.check_issuer(bad).is_err(), "dev accepted {bad}");
    }
    for loopback in [
        "http://127.0.0.1:5556/acme",
        "http://localhost:5556/acme",
        "https://127.0.0.1/x",
        "http://[::1]:80/x",
    ] {
        assert!(
            strict.check_issuer(loopback).is_err(),
            "strict accepted {loopback}"
        );
        assert!(dev.check_issuer(loopback).is_ok(), "dev refused {loopback}");
    }
    // The dev setting never opens private ranges or plain http elsewhere.
    assert!(dev.check_issuer("http://idp.example.com").is_err());
    assert!(dev.check_issuer("http://10.1.2.3").is_err());
}

#[tokio::test]
async fn names_that_resolve_inward_are_refused_at_connection() {
    use openidconnect::AsyncHttpClient;
    // `localhost` passes the dev URL check but not the strict resolver;
    // a literal loopback address is refused before any connection.
    let strict = OutboundPolicy::STRICT.client().unwrap();
    let request = http::Request::builder()
        .uri("https://localhost:9/x")
        .body(Vec::new())
        .unwrap();
    assert!(strict.call(request).await.is_err());
    let resolver = Resolver(OutboundPolicy::STRICT);
    use reqwest::dns::Resolve;
    let name: reqwest::dns::Name = "localhost".parse().unwrap();
    let err = match resolver.resolve(name).await {
        Ok(_) => panic!("localhost resolved for a strict policy"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no address"), "{err}");
}
