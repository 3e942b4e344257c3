//! Benchmark: fuzzing throughput (tool calls per second) against the reference
//! server over stdio. Not a test; run with
//!
//! ```text
//! cargo build --release -p mcp-reference-server
//! cargo bench -p mcp-conform --bench fuzz_calls
//! ```
//!
//! Each run is one campaign (`echo`, valid family, 20 000 cases) on one long-lived
//! server process: generation, calls in windows, judging, pings. It prints every
//! run, then the median, for in-flight windows of 16 (the default) and 1.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mcp_conform::client::RunConfig;
use mcp_conform::fuzz::campaign::{self, Family, Settings, ToolPlan};
use mcp_conform::fuzz::server::FuzzServer;
use mcp_conform::fuzz::strategy::SchemaGen;
use mcp_conform::transport::stdio::Launch;
use serde_json::json;

const CASES: u32 = 20_000;
const RUNS: usize = 5;

fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MCP_REFERENCE_SERVER") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/mcp-reference-server")
}

fn plan() -> ToolPlan {
    let schema = json!({"type": "object", "properties": {"text": {"type": "string"}},
        "required": ["text"]});
    ToolPlan {
        name: "echo".into(),
        gen: SchemaGen::new(&schema).expect("echo's schema is supported"),
        input_validator: jsonschema::validator_for(&schema).ok(),
        output_validator: None,
        tool_08: true,
        stateless: false,
        empty_answered: Default::default(),
    }
}

async fn one_run(cfg: &RunConfig, window: usize, seed: u64) -> f64 {
    let mut server = FuzzServer::new(cfg, "2025-11-25");
    server.start().await.expect("server starts");
    let far = Instant::now() + Duration::from_secs(600);
    let st = Settings {
        cases: CASES,
        seed,
        call_timeout: Duration::from_secs(5),
        window,
        deadline: far,
        shrink_deadline: far,
    };
    let tool = plan();
    let started = Instant::now();
    let out = campaign::run(&mut server, &tool, Family::Valid, &st).await;
    let secs = started.elapsed().as_secs_f64();
    server.stop().await;
    assert!(
        out.found.is_empty(),
        "the reference server must pass: {:?}",
        out.found
    );
    out.calls as f64 / secs
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let bin = server_binary();
    if !bin.exists() {
        eprintln!(
            "fuzz_calls: {} not found; run `cargo build --release -p mcp-reference-server` \
             or set MCP_REFERENCE_SERVER",
            bin.display()
        );
        return;
    }
    let cfg = RunConfig::new(Launch {
        program: bin.display().to_string(),
        args: Vec::new(),
        env: Vec::new(),
        cwd: None,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!("fuzz_calls: echo, valid family, {CASES} cases per run, {cpus} CPUs");
    for window in [mcp_conform::fuzz::DEFAULT_WINDOW, 1] {
        let mut rates = Vec::new();
        for run in 0..RUNS {
            let rate = rt.block_on(one_run(&cfg, window, 1 + run as u64));
            println!("  window {window:>2} run {run}: {rate:>9.0} calls/s");
            rates.push(rate);
        }
        println!(
            "window {window:>2}: median {:.0} calls/s over {RUNS} runs",
            median(rates)
        );
    }
}
