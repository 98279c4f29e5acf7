//! Okta's cursor paging: `limit` and `after` in, a JSON array out with
//! `Link: <…>; rel="self"` then `Link: <…>; rel="next"` as two headers (the
//! Python SDK keeps only the last `Link` header, so `next` must come last),
//! absolute URLs built from the configured public URL (behind a proxy the
//! request's host is not the one clients use).

use axum::http::{HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiError;

/// `limit` and `after`: the query of a list that takes nothing else.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PageParams {
    pub limit: Option<String>,
    pub after: Option<String>,
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone)]
pub struct Cursor {
    pub after: Option<String>,
    pub limit: usize,
}

impl Cursor {
    /// `limit` (default `default`, at most `max`: larger is cut to `max`, as
    /// Okta does) and `after` as given.
    pub fn new(
        limit: Option<&str>,
        after: Option<&str>,
        default: usize,
        max: usize,
    ) -> Result<Self, ApiError> {
        let limit = match limit.map(str::trim).filter(|l| !l.is_empty()) {
            None => default,
            Some(l) => match l.parse::<i64>() {
                Ok(n) if n >= 1 => (n as usize).min(max),
                _ => {
                    return Err(ApiError::invalid(
                        "limit",
                        format!("Enter a whole number from 1 to {max}."),
                    ))
                }
            },
        };
        Ok(Self {
            after: after
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string),
            limit,
        })
    }

    /// The page of `items` (already in list order) after the item whose key
    /// is `after`, and the key of its last item when more follow. An `after`
    /// that names no item starts after nothing.
    pub fn page<T>(&self, items: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
        let start = match &self.after {
            Some(after) => items
                .iter()
                .position(|i| key(i) == *after)
                .map(|p| p + 1)
                .unwrap_or(0),
            None => 0,
        };
        let total = items.len();
        let page: Vec<T> = items.into_iter().skip(start).take(self.limit).collect();
        let next = (start + page.len() < total)
            .then(|| page.last().map(&key))
            .flatten();
        (page, next)
    }
}

/// One page of a list, answered as Okta does.
pub struct Paged<T> {
    pub items: Vec<T>,
    /// The request's URI (path and query), to rebuild `self` and `next`.
    pub uri: Uri,
    pub public_url: String,
    pub limit: usize,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

impl<T: Serialize> Paged<T> {
    fn link(&self, after: Option<&str>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(self.uri.query().unwrap_or_default().as_bytes()) {
            if k != "after" && k != "limit" {
                query.append_pair(&k, &v);
            }
        }
        if let Some(after) = after {
            query.append_pair("after", after);
        }
        query.append_pair("limit", &self.limit.to_string());
        format!(
            "{}{}?{}",
            self.public_url.trim_end_matches('/'),
            self.uri.path(),
            query.finish()
        )
    }
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let this = self.link(None);
        let next = self.next.as_deref().map(|n| self.link(Some(n)));
        let mut response = axum::Json(&self.items).into_response();
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&format!("<{this}>; rel=\"self\"")) {
            headers.append(axum::http::header::LINK, v);
        }
        if let Some(Ok(v)) = next.map(|n| HeaderValue::from_str(&format!("<{n}>; rel=\"next\""))) {
            headers.append(axum::http::header::LINK, v);
        }
        response
    }
}

#[cfg(test)]
#[path = "tests/paging.rs"]
mod tests;
