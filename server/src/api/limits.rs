//! Okta's rate limits for the Management API: fixed one-minute windows, per
//! API token and for the whole org, reported on every response as
//! `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset`
//! (UTC epoch seconds of the window's end), and a 429 `E0000047` with exactly
//! one `X-Rate-Limit-Reset` beyond them — what the official SDKs read to
//! back off and retry. Counted in memory, per server instance.
//!
//! Hand-written rather than `governor` (already used for the browser's
//! limits): GCRA has no windows, so it cannot say when the budget resets in
//! the terms Okta's headers and the SDKs' back-off use.

use std::collections::HashMap;
use std::sync::Mutex;

/// Where a request stands against its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds at which the current window ends.
    pub reset: i64,
    pub allowed: bool,
}

#[derive(Debug)]
pub struct RateLimits {
    per_token: u32,
    per_org: u32,
    /// Key (token id, or "org") → (window, requests counted in it).
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

const ORG: &str = "\u{0}org";
/// Beyond this many keys, keys of past windows are dropped.
const SWEEP_AT: usize = 10_000;

impl RateLimits {
    pub fn new(per_token: u32, per_org: u32) -> Self {
        Self {
            per_token: per_token.max(1),
            per_org: per_org.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `token` (or an unauthenticated one) at `now`
    /// (epoch seconds) against the token's and the org's windows. A refused
    /// request uses up nothing.
    pub fn take(&self, token: Option<&str>, now: i64) -> Standing {
        let window = now.div_euclid(60);
        let reset = (window + 1) * 60;
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock (a panic elsewhere) must not stop the API.
            return Standing {
                limit: self.per_token,
                remaining: self.per_token,
                reset,
                allowed: true,
            };
        };
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (w, _)| *w == window);
        }
        let used = |windows: &HashMap<String, (i64, u32)>, key: &str| match windows.get(key) {
            Some((w, n)) if *w == window => *n,
            _ => 0,
        };
        let org_used = used(&windows, ORG);
        let token_used = token.map(|t| used(&windows, t));
        let (limit, used_now) = match token_used {
            Some(n)
                if self.per_token - n.min(self.per_token)
                    <= self.per_org - org_used.min(self.per_org) =>
            {
                (self.per_token, n)
            }
            _ => (self.per_org, org_used),
        };
        let allowed = org_used < self.per_org && token_used.is_none_or(|n| n < self.per_token);
        if !allowed {
            return Standing {
                limit,
                remaining: 0,
                reset,
                allowed,
            };
        }
        windows.insert(ORG.to_string(), (window, org_used + 1));
        if let (Some(t), Some(n)) = (token, token_used) {
            windows.insert(t.to_string(), (window, n + 1));
        }
        Standing {
            limit,
            remaining: limit - (used_now + 1).min(limit),
            reset,
            allowed,
        }
    }
}

#[cfg(test)]
#[path = "tests/limits.rs"]
mod tests;
