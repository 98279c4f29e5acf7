use super::*;

#[test]
fn a_code_is_accepted_once_within_one_step_of_skew() {
    let secret = TotpSecret::generate();
    let totp = secret.totp("Org", "user@example.test").unwrap();
    let now = 1_800_000_000u64;
    let step = now / STEP;
    let code = totp.generate(now);
    assert_eq!(secret.accept(&code, now, 0).unwrap(), Some(step));
    // The same code again: its step is used.
    assert_eq!(secret.accept(&code, now, step).unwrap(), None);
    // The previous step's code is still accepted (clock skew)…
    let previous = totp.generate(now - STEP);
    assert_eq!(secret.accept(&previous, now, 0).unwrap(), Some(step - 1));
    // …but not two steps back.
    let old = totp.generate(now - 2 * STEP);
    assert_eq!(secret.accept(&old, now, 0).unwrap(), None);
    // Spaces are ignored; anything but six digits is refused.
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    assert_eq!(secret.accept(&spaced, now, 0).unwrap(), Some(step));
    assert_eq!(secret.accept("12345", now, 0).unwrap(), None);
    assert_eq!(secret.accept("abcdef", now, 0).unwrap(), None);
}

#[test]
fn the_uri_and_qr_code_name_the_issuer_and_account_but_debug_hides_the_secret() {
    let secret = TotpSecret::generate();
    let uri = secret.uri("Partner Portal", "user@example.test").unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains("issuer=Partner%20Portal"), "{uri}");
    assert!(uri.contains(secret.base32()));
    let svg = secret
        .qr_svg("Partner Portal", "user@example.test")
        .unwrap();
    assert!(svg.contains("<svg"));
    assert!(!format!("{secret:?}").contains(secret.base32()));
}
