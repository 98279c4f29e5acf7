//! Load through `wrk` (Debian's package): closed-loop connections over
//! loopback, bounded by time (`-d`) and by a request count (the Lua scripts in
//! `bench/wrk/` stop each thread at its share), read back as one JSON line.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokio::process::Command;

/// How hard and how long one load runs.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub threads: u32,
    pub connections: u32,
    pub seconds: u32,
    pub max_requests: u32,
}

/// What `wrk` measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Figures {
    pub requests: u64,
    pub duration_us: u64,
    pub bytes: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub errors_status: u64,
    pub errors_connect: u64,
    pub errors_read: u64,
    pub errors_write: u64,
    pub errors_timeout: u64,
}

impl Figures {
    pub fn rps(&self) -> f64 {
        if self.duration_us == 0 {
            0.0
        } else {
            self.requests as f64 / (self.duration_us as f64 / 1e6)
        }
    }

    pub fn errors(&self) -> u64 {
        self.errors_status
            + self.errors_connect
            + self.errors_read
            + self.errors_write
            + self.errors_timeout
    }

    pub fn p50_ms(&self) -> f64 {
        self.p50_us as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.p99_us as f64 / 1000.0
    }

    /// Two loads that ran at the same time, as one: requests and bytes
    /// summed over the longer duration, each latency the worse of the two.
    pub fn merged(&self, other: &Figures) -> Figures {
        Figures {
            requests: self.requests + other.requests,
            duration_us: self.duration_us.max(other.duration_us),
            bytes: self.bytes + other.bytes,
            p50_us: self.p50_us.max(other.p50_us),
            p90_us: self.p90_us.max(other.p90_us),
            p99_us: self.p99_us.max(other.p99_us),
            max_us: self.max_us.max(other.max_us),
            errors_status: self.errors_status + other.errors_status,
            errors_connect: self.errors_connect + other.errors_connect,
            errors_read: self.errors_read + other.errors_read,
            errors_write: self.errors_write + other.errors_write,
            errors_timeout: self.errors_timeout + other.errors_timeout,
        }
    }
}

/// GETs `url` (with `cookie`, if any).
pub async fn get(
    scripts: &Path,
    shape: Shape,
    url: &str,
    cookie: Option<&str>,
) -> Result<Figures, String> {
    let cap = shape.max_requests.div_ceil(shape.threads).to_string();
    run(scripts.join("load.lua"), shape, url, cookie, &[cap]).await
}

/// GETs `url` at a pace: each connection waits `pace_ms` before each request.
pub async fn get_paced(
    scripts: &Path,
    shape: Shape,
    url: &str,
    cookie: Option<&str>,
    pace_ms: u32,
) -> Result<Figures, String> {
    let cap = shape.max_requests.div_ceil(shape.threads).to_string();
    let args = [cap, pace_ms.to_string()];
    run(scripts.join("paced.lua"), shape, url, cookie, &args).await
}

/// POSTs profile edits of the users in `targets` ("id version" lines) to
/// `base` + `template` (`{id}` stands for the user id).
pub async fn mutate(
    scripts: &Path,
    shape: Shape,
    base: &str,
    template: &str,
    targets: &Path,
    cookie: Option<&str>,
) -> Result<Figures, String> {
    let cap = shape.max_requests.div_ceil(shape.threads).to_string();
    let args = [
        cap,
        targets.display().to_string(),
        shape.threads.to_string(),
        template.to_string(),
    ];
    run(scripts.join("mutate.lua"), shape, base, cookie, &args).await
}

async fn run(
    script: std::path::PathBuf,
    shape: Shape,
    url: &str,
    cookie: Option<&str>,
    args: &[String],
) -> Result<Figures, String> {
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{}", shape.threads))
        .arg(format!("-c{}", shape.connections))
        .arg(format!("-d{}s", shape.seconds))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(&script);
    if let Some(cookie) = cookie {
        cmd.arg("-H").arg(format!("Cookie: {cookie}"));
    }
    cmd.arg(url).arg("--").args(args).kill_on_drop(true);
    let out = cmd
        .output()
        .await
        .map_err(|e| format!("wrk (apt install wrk): {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK_JSON "))
        .ok_or_else(|| {
            format!(
                "wrk printed no figures for {url}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let figures: Figures =
        serde_json::from_str(line).map_err(|e| format!("wrk figures: {e}: {line}"))?;
    if figures.requests == 0 {
        return Err(format!(
            "wrk sent no request to {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(figures)
}
