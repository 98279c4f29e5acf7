//! The report: `bench/results.json` (everything measured) and
//! `bench/REPORT.md` (the machine first, then tables against the targets).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::EngineResult;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub os: String,
}

/// One file of the wasm bundle, raw and compressed as it would be served.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WasmFile {
    pub file: String,
    pub raw_bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
}

/// What one page's first visit loads: the main module and the page's own
/// chunks (`cargo leptos --split`, from `__wasm_split_manifest.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RouteWasm {
    /// The lazy route (`app::routes`) in snake case: `users` for `UsersRoute`.
    pub route: String,
    pub chunks: Vec<String>,
    pub chunk_brotli_bytes: u64,
    pub initial_brotli_bytes: u64,
}

/// The hydration bundle: the main module every page loads, each page's
/// chunks, and what the sign-in and users pages load first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Wasm {
    pub main: WasmFile,
    pub files: Vec<WasmFile>,
    pub routes: Vec<RouteWasm>,
    pub total_brotli_bytes: u64,
    /// The larger of the sign-in page's and the users page's first load.
    pub initial_brotli_bytes: u64,
    /// `twiggy top` of the main module, when twiggy is installed.
    pub twiggy_top: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub mode: String,
    pub generated_unix: u64,
    pub machine: Machine,
    pub wasm: Wasm,
    /// The criterion benches' `BENCH_JSON` lines (authorization, rules).
    pub criterion: Vec<serde_json::Value>,
    pub engines: Vec<EngineResult>,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_string())
        .unwrap_or_else(|| std::env::consts::OS.into());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: kib / 1024.0 / 1024.0,
        os,
    }
}

fn measure(path: &Path) -> Result<WasmFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes).map_err(|e| e.to_string())?;
    let gzip = gz.finish().map_err(|e| e.to_string())?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    Ok(WasmFile {
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        raw_bytes: bytes.len() as u64,
        gzip_bytes: gzip.len() as u64,
        brotli_bytes: br.len() as u64,
    })
}

/// Every wasm file of the release site, and per page what its first visit
/// loads (`main` + the chunks the split manifest lists for the page's view).
fn wasm(site_root: &Path) -> Result<Wasm, String> {
    let pkg = site_root.join("pkg");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&pkg)
        .map_err(|e| {
            format!(
                "{}: {e} (run `cargo leptos build --release --split`)",
                pkg.display()
            )
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    paths.sort();
    let files = paths
        .iter()
        .map(|p| measure(p))
        .collect::<Result<Vec<_>, _>>()?;
    let main = files
        .iter()
        .find(|f| f.file == "partner-portal.wasm")
        .cloned()
        .ok_or_else(|| format!("no partner-portal.wasm in {}", pkg.display()))?;
    let size_of = |stem: &str| {
        files
            .iter()
            .find(|f| f.file == format!("{stem}.wasm"))
            .map_or(0, |f| f.brotli_bytes)
    };
    // Split name (`__users_route_view_<hash>`, from `UsersRoute`) → the
    // chunk files it needs.
    let manifest: std::collections::BTreeMap<String, Vec<String>> =
        match std::fs::read_to_string(pkg.join("__wasm_split_manifest.json")) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| e.to_string())?,
            Err(_) => Default::default(),
        };
    let mut routes: Vec<RouteWasm> = manifest
        .iter()
        .filter_map(|(split, chunks)| {
            let route = split
                .strip_prefix("__")
                .and_then(|s| s.split_once("_route_view_"))
                .map(|(route, _)| route.to_string())?;
            let chunk_brotli_bytes = chunks.iter().map(|c| size_of(c)).sum::<u64>();
            Some(RouteWasm {
                route,
                chunks: chunks.clone(),
                chunk_brotli_bytes,
                initial_brotli_bytes: main.brotli_bytes + chunk_brotli_bytes,
            })
        })
        .collect();
    routes.sort_by(|a, b| a.route.cmp(&b.route));
    let initial_of = |route: &str| {
        routes
            .iter()
            .find(|r| r.route == route)
            .map_or(main.brotli_bytes, |r| r.initial_brotli_bytes)
    };
    let initial_brotli_bytes = initial_of("login").max(initial_of("users"));
    // The served module has no names: twiggy reads the main module as
    // split, before wasm-bindgen and wasm-opt (sizes before optimisation;
    // its name and bindgen sections left out — they are not served).
    let named = site_root.join("../front/wasm32-unknown-unknown/wasm-release/frontend_split.wasm");
    let twiggy_top = std::process::Command::new("twiggy")
        .args(["top", "-n", "25"])
        .arg(if named.exists() {
            named
        } else {
            pkg.join(&main.file)
        })
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| !l.contains("subsection") && !l.contains("custom section"))
                .map(|l| l.chars().take(160).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n")
        });
    Ok(Wasm {
        twiggy_top,
        total_brotli_bytes: files.iter().map(|f| f.brotli_bytes).sum(),
        main,
        files,
        routes,
        initial_brotli_bytes,
    })
}

impl Results {
    fn wasm_section(&self, md: &mut String) {
        let w = &self.wasm;
        let kb = |b: u64| b as f64 / 1000.0;
        let _ = writeln!(
            md,
            "\n## Wasm\n\nBuilt with `cargo leptos build --release --split`: every page is a lazy route \
             (`app/src/routes.rs`) whose view is its own chunk. `{}` (loaded by every page): {} bytes raw, \
             {} gzip (level 9), **{:.0} KB brotli** (quality 11); {} files in all, {:.0} KB brotli together.\n",
            w.main.file,
            w.main.raw_bytes,
            w.main.gzip_bytes,
            kb(w.main.brotli_bytes),
            w.files.len(),
            kb(w.total_brotli_bytes)
        );
        if !w.routes.is_empty() {
            let _ = writeln!(
                md,
                "| Page (lazy route) | Its chunks, KB brotli | First visit (main + chunks), KB brotli |\n| --- | ---: | ---: |"
            );
            for r in &w.routes {
                let _ = writeln!(
                    md,
                    "| `{}` | {:.1} | {:.0} |",
                    r.route,
                    kb(r.chunk_brotli_bytes),
                    kb(r.initial_brotli_bytes)
                );
            }
            let _ = writeln!(md);
        }
        if let Some(top) = &w.twiggy_top {
            let _ = writeln!(
                md,
                "Where the main module's bytes go (`twiggy top` of the main module as split, before \
                 wasm-bindgen and `wasm-opt -Oz`, without its name sections; raw bytes):\n\n```\n{}\n```\n",
                top.trim_end()
            );
        }
    }

    pub fn new(mode: &str, site_root: &Path, criterion: &[PathBuf]) -> Result<Self, String> {
        let mut lines = Vec::new();
        for file in criterion {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            for line in text.lines().filter_map(|l| l.strip_prefix("BENCH_JSON ")) {
                lines.push(serde_json::from_str(line).map_err(|e| format!("{line}: {e}"))?);
            }
        }
        Ok(Self {
            mode: mode.into(),
            generated_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            machine: machine(),
            wasm: wasm(site_root)?,
            criterion: lines,
            engines: Vec::new(),
        })
    }

    pub fn write(&self, out: &Path) -> Result<(), String> {
        std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(out.join("results.json"), json + "\n").map_err(|e| e.to_string())?;
        std::fs::write(out.join("REPORT.md"), self.markdown()).map_err(|e| e.to_string())
    }

    fn markdown(&self) -> String {
        let mut md = String::new();
        let m = &self.machine;
        let _ = writeln!(md, "# Partner Portal — benchmark report\n");
        let _ = writeln!(
            md,
            "Machine: **{} cores**, **{:.1} GiB** memory, {} ({}). Mode: `{}`. Regenerated by `make {}`; \
             figures in `bench/results.json`.\n",
            m.cores,
            m.memory_gib,
            m.cpu,
            m.os,
            self.mode,
            if self.mode == "quick" { "bench-quick" } else { "bench" }
        );
        let mark = |ok: bool| if ok { "✅" } else { "❌" };
        // A missed target says where the profile of what bounds it is.
        let bound = |ok: bool, why: &str| {
            if ok {
                "✅".to_string()
            } else {
                format!("❌ [what bounds it](PROFILE.md#{why})")
            }
        };

        let _ = writeln!(md, "## Against the targets\n");
        let _ = writeln!(md, "| Target | Engine | Measured | |");
        let _ = writeln!(md, "| --- | --- | --- | --- |");
        for e in &self.engines {
            for load in &e.loads {
                let ratio = load.portal.rps() / load.baseline.rps().max(f64::MIN_POSITIVE);
                let p99 = load.portal.p99_ms() / load.baseline.p99_ms().max(f64::MIN_POSITIVE);
                if load.name.starts_with("users page") {
                    let _ = writeln!(
                        md,
                        "| {}: throughput ≥ 0.5× baseline, p99 ≤ 2× | {} | {ratio:.2}×, p99 {p99:.2}× | {} |",
                        load.name,
                        e.engine,
                        bound(ratio >= 0.5 && p99 <= 2.0, "pages")
                    );
                } else if load.name == "user detail" {
                    let _ = writeln!(
                        md,
                        "| A user's page: throughput ≥ 0.3× baseline | {} | {ratio:.2}× | {} |",
                        e.engine,
                        bound(ratio >= 0.3, "pages")
                    );
                }
            }
            if let Some(mu) = &e.mutation {
                // Group commit on both engines; PostgreSQL's target is higher.
                let target = if e.engine == "postgres" { 600.0 } else { 300.0 };
                let _ = writeln!(
                    md,
                    "| Profile edits ≥ {target:.0}/s, p99 ≤ 100 ms | {} | {:.0}/s, p99 {:.1} ms | {} |",
                    e.engine,
                    mu.portal.rps(),
                    mu.portal.p99_ms(),
                    bound(mu.portal.rps() >= target && mu.portal.p99_ms() <= 100.0, "edits")
                );
            }
            let _ = writeln!(
                md,
                "| Cold start ≤ 1 s | {} | {:.0} ms | {} |",
                e.engine,
                e.cold_start_ms,
                mark(e.cold_start_ms <= 1000.0)
            );
            let _ = writeln!(
                md,
                "| Idle RSS ≤ 64 MB | {} | {:.1} MiB | {} |",
                e.engine,
                e.idle_rss_mib,
                mark(e.idle_rss_mib <= 64.0)
            );
            let _ = writeln!(
                md,
                "| Stored session ≤ 2 KB | {} | {} bytes | {} |",
                e.engine,
                e.session_bytes,
                mark(e.session_bytes <= 2048)
            );
        }
        for c in &self.criterion {
            if c["bench"] == "authz" {
                let p99 = c["check_p99_us"].as_f64().unwrap_or(f64::MAX);
                let _ = writeln!(
                    md,
                    "| Authorization check p99 ≤ 50 µs (1,000 bindings) | — | {p99:.2} µs | {} |",
                    mark(p99 <= 50.0)
                );
            }
            if c["bench"] == "rules" && c["rules"] == 500 {
                let s = c["seconds"].as_f64().unwrap_or(f64::MAX);
                let _ = writeln!(
                    md,
                    "| 500 rules over {} users ≤ 1 s | — | {s:.2} s | {} |",
                    c["users"],
                    mark(s <= 1.0)
                );
            }
        }
        let kb = self.wasm.initial_brotli_bytes as f64 / 1000.0;
        let _ = writeln!(
            md,
            "| Initial wasm of the sign-in and users pages ≤ 300 KB brotli | — | {kb:.0} KB | {} |\n",
            bound(kb <= 300.0, "wasm")
        );

        for e in &self.engines {
            let _ = writeln!(md, "## {} — {} users\n", e.engine, e.users);
            let _ = writeln!(
                md,
                "Seeded in **{:.1} s**. The partner admin administers one realm of {} users; search term `{}`. \
                 Cold start {:.0} ms, idle RSS {:.1} MiB, peak RSS {:.1} MiB, {} bytes per stored session.\n",
                e.seed_seconds,
                e.admin_realm_users,
                e.search_term,
                e.cold_start_ms,
                e.idle_rss_mib,
                e.peak_rss_mib,
                e.session_bytes
            );
            let _ = writeln!(
                md,
                "| Load | Portal req/s | p50 ms | p99 ms | Baseline req/s | p50 ms | p99 ms | Throughput ratio | p99 ratio | Portal RSS MiB | Errors |"
            );
            let _ = writeln!(
                md,
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            );
            for l in e.loads.iter().chain(e.mutation.iter()) {
                let _ = writeln!(
                    md,
                    "| {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2}× | {:.2}× | {:.1} | {} |",
                    l.name,
                    l.portal.rps(),
                    l.portal.p50_ms(),
                    l.portal.p99_ms(),
                    l.baseline.rps(),
                    l.baseline.p50_ms(),
                    l.baseline.p99_ms(),
                    l.portal.rps() / l.baseline.rps().max(f64::MIN_POSITIVE),
                    l.portal.p99_ms() / l.baseline.p99_ms().max(f64::MIN_POSITIVE),
                    l.portal_rss_mib,
                    l.portal.errors() + l.baseline.errors()
                );
            }
            if let Some(i) = &e.instances {
                let _ = writeln!(
                    md,
                    "\n**Two instances on one database** (users page, first; the second instance started beside \
                     the first, {} connections split between them): one instance {:.0} req/s, p99 {:.2} ms; two \
                     instances {:.0} req/s together, p99 {:.2} ms (the worse of the two) — {:.2}× one instance's \
                     throughput, {} errors. On 2 cores both instances, PostgreSQL and `wrk` share the same CPUs: \
                     this shows that two instances serve correctly and what a second process costs, not scale-out.\n",
                    i.connections,
                    i.one.rps(),
                    i.one.p99_ms(),
                    i.two.rps(),
                    i.two.p99_ms(),
                    i.two.rps() / i.one.rps().max(f64::MIN_POSITIVE),
                    i.two.errors()
                );
            }
            if let Some(x) = &e.execution {
                let _ = writeln!(
                    md,
                    "\n**Realm-assignment execution** over {} users: plan {:.1} s ({} moves planned, {} refused), \
                     apply {:.1} s ({:.0} moves/s, {}). The users page meanwhile, paced ({} connections, each {} ms \
                     between requests): {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (worst of {} chunks; the same \
                     load before it: p99 {:.2} ms), {} errors.\n",
                    x.evaluated_users,
                    x.plan_seconds,
                    x.planned,
                    x.refused,
                    x.apply_seconds,
                    x.moves_per_second,
                    x.status,
                    x.pace_connections,
                    x.pace_ms,
                    x.concurrent.rps(),
                    x.concurrent.p50_ms(),
                    x.concurrent.p99_ms(),
                    x.concurrent_chunks,
                    x.idle.p99_ms(),
                    x.concurrent.errors()
                );
            }
        }

        let _ = writeln!(md, "## Criterion benches\n");
        for c in &self.criterion {
            if c["bench"] == "authz" {
                let _ = writeln!(
                    md,
                    "- Authorization kernel, 1,000 bindings: check p50 {:.2} µs, p99 {:.2} µs, max {:.1} µs; \
                     scope compile p50 {:.1} µs, p99 {:.1} µs.",
                    c["check_p50_us"].as_f64().unwrap_or(0.0),
                    c["check_p99_us"].as_f64().unwrap_or(0.0),
                    c["check_max_us"].as_f64().unwrap_or(0.0),
                    c["scope_p50_us"].as_f64().unwrap_or(0.0),
                    c["scope_p99_us"].as_f64().unwrap_or(0.0)
                );
            }
        }
        let rules: Vec<&serde_json::Value> = self
            .criterion
            .iter()
            .filter(|c| c["bench"] == "rules")
            .collect();
        if !rules.is_empty() {
            let _ = writeln!(
                md,
                "\n| Rules | Users | Seconds (one pass) | Users placed |"
            );
            let _ = writeln!(md, "| ---: | ---: | ---: | ---: |");
            for c in rules {
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.3} | {} |",
                    c["rules"],
                    c["users"],
                    c["seconds"].as_f64().unwrap_or(0.0),
                    c["placed"]
                );
            }
        }
        self.wasm_section(&mut md);
        let _ = writeln!(
            md,
            "## How it is measured\n\n\
             `wrk` (Debian's package) drives each load over loopback with 2 threads and a fixed number of \
             connections, bounded by time and by a request count; the portal is its release build signed in \
             as a partner admin through the dev identity provider; the baseline (`bench/src/baseline.rs`) runs \
             the same keyset query, search and one-user read on the same database and renders plain HTML, with no \
             session, authorization or framework. Profile edits each change a different user with the version \
             it has; the portal's write its audit event in the same transaction, the baseline's do not."
        );
        md
    }
}
