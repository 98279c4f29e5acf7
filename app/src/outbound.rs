//! Outbound requests to identity providers that admins configure (partner
//! IdPs): the one HTTP client that may fetch them.
//!
//! Every URL it fetches — the issuer's discovery document, and the
//! `jwks_uri`, `token_endpoint` and `userinfo_endpoint` that document names —
//! must be `https` (or `http` to a loopback address when the dev setting
//! allows it), carry no userinfo, and resolve only to public addresses:
//! loopback, link-local, private, unique-local, CGNAT and unspecified
//! addresses are refused at the DNS step too, so a name that resolves inward
//! is refused like a literal address. Redirects are never followed; every
//! request has a timeout and every answer a size cap.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::reqwest;
use openidconnect::{HttpRequest, HttpResponse};

/// Marks the outbound policy's refusals in error texts.
pub const REFUSED: &str = "is refused";

/// The largest answer read from an identity provider.
pub const MAX_RESPONSE_BYTES: usize = 512 * 1024;
/// How long one outbound request may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which destinations outbound fetches may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboundPolicy {
    /// Development and tests only: `http` to loopback addresses is allowed
    /// (IdPs running on this machine). Never private or link-local ranges.
    pub allow_loopback_http: bool,
    /// The operator's own configuration (the org IdP): any http(s) address.
    pub operator: bool,
}

impl OutboundPolicy {
    pub const STRICT: Self = Self {
        allow_loopback_http: false,
        operator: false,
    };
    /// For the org IdP, which the operator configures (it may well live on
    /// an internal network).
    pub const OPERATOR: Self = Self {
        allow_loopback_http: true,
        operator: true,
    };

    /// The policy for admin-configured IdPs, given the dev setting.
    pub fn admin_configured(allow_loopback_http: bool) -> Self {
        Self {
            allow_loopback_http,
            operator: false,
        }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        if self.operator {
            return true;
        }
        if is_loopback(ip) {
            return self.allow_loopback_http;
        }
        is_public(ip)
    }

    /// Checks a URL the portal would fetch (or send a browser to): its
    /// parsed form, or what is wrong with it, in words for an admin.
    pub fn check_url(&self, raw: &str) -> Result<url::Url, String> {
        let url = url::Url::parse(raw.trim()).map_err(|_| "is not a URL".to_string())?;
        if self.operator {
            return match url.scheme() {
                "http" | "https" => Ok(url),
                _ => Err("must be an https:// URL".into()),
            };
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain a user name or password".into());
        }
        let Some(host) = url.host() else {
            return Err("has no host".into());
        };
        let literal: Option<IpAddr> = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        };
        let loopback_name =
            matches!(host, url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost"));
        let loopback = loopback_name || literal.is_some_and(is_loopback);
        match url.scheme() {
            "https" => {}
            "http" if loopback && self.allow_loopback_http => {}
            _ => return Err("must be an https:// URL".into()),
        }
        if loopback && !self.allow_loopback_http {
            return Err("must not point to this machine".into());
        }
        if let Some(ip) = literal {
            if !self.allows_ip(ip) {
                return Err("must not point to a private or internal address".into());
            }
        }
        Ok(url)
    }

    /// Checks an issuer URL: as `check_url`, and no query or fragment (the
    /// discovery document's address is built by appending to it).
    pub fn check_issuer(&self, raw: &str) -> Result<url::Url, String> {
        let url = self.check_url(raw)?;
        if url.query().is_some() || url.fragment().is_some() || raw.contains(['?', '#']) {
            return Err("must not contain a query (?) or fragment (#)".into());
        }
        Ok(url)
    }

    /// The HTTP client that enforces this policy.
    pub fn client(self) -> Result<Outbound, String> {
        let http = reqwest::ClientBuilder::new()
            // Following redirects from an IdP is an SSRF vector.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .dns_resolver(Arc::new(Resolver(self)))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Outbound { http, policy: self })
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are judged as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10: carrier-grade NAT (often internal).
        || (a == 100 && (64..=127).contains(&b))
        // 192.0.0.0/24 (IETF protocol assignments), 198.18.0.0/15 (benchmarking).
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // 2001:db8::/32 documentation; 64:ff9b:1::/48 local NAT64.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b && ip.segments()[2] == 1))
}

/// DNS resolution that drops addresses the policy refuses (and fails when
/// none is left), so a public-looking name cannot lead inward.
struct Resolver(OutboundPolicy);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.allows_ip(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(Refused(format!(
                    "{host} resolves to no address outbound requests may reach: it {REFUSED}"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why an outbound request was not made or its answer not read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The HTTP client for admin-configured identity providers.
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    policy: OutboundPolicy,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("policy", &self.policy)
            .finish()
    }
}

impl Outbound {
    pub fn policy(&self) -> OutboundPolicy {
        self.policy
    }

    /// Sends `request` under the policy: its URL checked, its answer read
    /// up to the size cap.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Refused> {
        self.fetch(request).await
    }

    async fn fetch(&self, request: HttpRequest) -> Result<HttpResponse, Refused> {
        self.policy
            .check_url(&request.uri().to_string())
            .map_err(|e| Refused(format!("{} {REFUSED}: it {e}", request.uri())))?;
        let request: reqwest::Request = request
            .try_into()
            .map_err(|e: reqwest::Error| Refused(e.to_string()))?;
        let mut response = self
            .http
            .execute(request)
            .await
            .map_err(|e| Refused(chain(&e)))?;
        if response
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(Refused("the answer is too large".into()));
        }
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Refused(chain(&e)))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(Refused("the answer is too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(body).map_err(|e| Refused(e.to_string()))
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for Outbound {
    type Error = Refused;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Refused>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.fetch(request))
    }
}

/// An error and its sources, for the System Log's reason ("Signature
/// verification failed: No matching key found").
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "tests/outbound.rs"]
mod tests;
