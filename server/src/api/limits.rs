//! Okta's rate limits for the Management API: fixed one-minute windows, per
//! API token and for the whole org, reported on every response as
//! `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset`
//! (UTC epoch seconds of the window's end), and a 429 `E0000047` with exactly
//! one `X-Rate-Limit-Reset` beyond them — what the official SDKs read to
//! back off and retry. Counted in memory, per server instance, or — with
//! `rate_limit_shared` — in the database, one count for every instance
//! (`Store::take_window`: one atomic upsert per window).
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
    /// Counted in the database, shared by every instance.
    shared: Option<app::store::Store>,
    /// Key (token id, or "org") → (window, requests counted in it).
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

const ORG: &str = "\u{0}org";
/// The org's key in the database (token ids start with `00T`).
const SHARED_ORG: &str = "org";
/// Beyond this many keys, keys of past windows are dropped.
const SWEEP_AT: usize = 10_000;

impl RateLimits {
    pub fn new(per_token: u32, per_org: u32) -> Self {
        Self {
            per_token: per_token.max(1),
            per_org: per_org.max(1),
            shared: None,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// The same limits, counted in `store`'s database for every instance.
    pub fn shared(mut self, store: app::store::Store) -> Self {
        self.shared = Some(store);
        self
    }

    /// Counts one request: in the database when shared (falling back to this
    /// instance's count if the database cannot answer — the API stays up),
    /// else in memory.
    pub async fn take_now(&self, token: Option<&str>, now: i64) -> Standing {
        if let Some(store) = &self.shared {
            match self.take_shared(store, token, now).await {
                Ok(standing) => return standing,
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate limits unavailable: counting in this instance")
                }
            }
        }
        self.take(token, now)
    }

    async fn take_shared(
        &self,
        store: &app::store::Store,
        token: Option<&str>,
        now: i64,
    ) -> Result<Standing, app::store::StoreError> {
        let window = now.div_euclid(60);
        let reset = (window + 1) * 60;
        let refused = |limit: u32| Standing {
            limit,
            remaining: 0,
            reset,
            allowed: false,
        };
        let Some(org_used) = store
            .take_window(SHARED_ORG, window, i64::from(self.per_org))
            .await?
        else {
            return Ok(refused(self.per_org));
        };
        // The window's first request (one a minute, whichever instance)
        // drops the past windows.
        if org_used == 1 {
            store.sweep_windows(window).await?;
        }
        let token_used = match token {
            Some(t) => match store
                .take_window(t, window, i64::from(self.per_token))
                .await?
            {
                Some(n) => Some(n),
                None => {
                    store.give_back_window(SHARED_ORG, window).await?;
                    return Ok(refused(self.per_token));
                }
            },
            None => None,
        };
        let left =
            |limit: u32, used: i64| u32::try_from((i64::from(limit) - used).max(0)).unwrap_or(0);
        let org_left = left(self.per_org, org_used);
        let (limit, remaining) = match token_used {
            Some(n) if left(self.per_token, n) <= org_left => {
                (self.per_token, left(self.per_token, n))
            }
            _ => (self.per_org, org_left),
        };
        Ok(Standing {
            limit,
            remaining,
            reset,
            allowed: true,
        })
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
