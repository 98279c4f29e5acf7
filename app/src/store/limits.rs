//! Okta's limits, enforced where the rows are written (inside the write
//! transaction, so two writers cannot both pass the count) with an error that
//! names the limit.

use super::StoreError;

/// Realms per org, the default realm included.
pub const REALMS: i64 = 5_000;
/// Realm assignments (rules) per org, the catch-all included.
pub const REALM_ASSIGNMENTS: i64 = 500;
/// Realm assignments per profile source (`OKTA`, one IdP or one app).
pub const ASSIGNMENTS_PER_SOURCE: i64 = 30;
/// Custom admin roles per org.
pub const CUSTOM_ROLES: i64 = 100;
/// Resource sets per org.
pub const RESOURCE_SETS: i64 = 10_000;
/// Resources per resource set.
pub const RESOURCES_PER_SET: i64 = 1_000;
/// Admins (users and groups) per role + resource set binding.
pub const BINDING_MEMBERS: i64 = 1_000;

/// Refuses an addition that would take `count` past `max`: "`holder` holds
/// at most `max` `what`, as in Okta; `then`".
pub fn at_most(
    count: i64,
    max: i64,
    holder: &str,
    what: &str,
    then: &str,
) -> Result<(), StoreError> {
    if count > max {
        Err(StoreError::Conflict(format!(
            "{holder} holds at most {} {what}, as in Okta; {then}",
            thousands(max)
        )))
    } else {
        Ok(())
    }
}

/// 5000 → "5,000".
fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "tests/limits.rs"]
mod tests;
