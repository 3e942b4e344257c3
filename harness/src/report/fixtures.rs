//! Report fixtures shared by the tests of every report format: a deterministic
//! [`RunReport`] (fixed ids, durations, timestamps) with every verdict.

use crate::outcome::*;
use serde_json::json;

pub(crate) fn case(id: &str, verdict: Verdict) -> CaseResult {
    let area = id.split(['.', '/']).next().unwrap_or(id).to_string();
    CaseResult {
        id: id.to_string(),
        title: format!("Title of {id}"),
        area: area.clone(),
        requirements: vec!["RPC-001".to_string()],
        severity: Severity::Must,
        file: format!("cases/{area}/{id}.yaml"),
        revision: Some("2025-11-25".to_string()),
        verdict,
        reason: match verdict {
            Verdict::Pass => None,
            Verdict::Fail => Some("response id does not match request id".to_string()),
            Verdict::Warn => Some("server did not send a progress notification".to_string()),
            Verdict::Skip => Some("server does not declare the tools capability".to_string()),
            Verdict::Error => Some("server closed stdout before answering".to_string()),
            Verdict::Note => Some("a request with a foreign Host header was served".to_string()),
        },
        duration_ms: 12,
        findings: Vec::new(),
        transcript: vec![
            TranscriptEntry {
                at_ms: 0,
                direction: Direction::Sent,
                body: json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).into(),
            },
            TranscriptEntry {
                at_ms: 3,
                direction: Direction::Received,
                body: json!({"jsonrpc": "2.0", "id": 1, "result": {}}).into(),
            },
            TranscriptEntry {
                at_ms: 4,
                direction: Direction::Event,
                body: json!("connection closed").into(),
            },
        ],
        stderr: String::new(),
    }
}

pub(crate) fn finding(message: &str) -> Finding {
    Finding {
        requirements: vec!["RPC-003".to_string(), "LIFE-002".to_string()],
        severity: Severity::Must,
        message: message.to_string(),
        sent: Some(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"})),
        expected: Some(json!({"jsonrpc": "2.0", "id": 7})),
        actual: Some(json!({"jsonrpc": "2.0", "id": 8})),
        diff: Some(
            "--- expected\n+++ actual\n@@ -1,4 +1,4 @@\n {\n   \"jsonrpc\": \"2.0\",\n-  \"id\": 7\n+  \"id\": 8\n }\n"
                .to_string(),
        ),
    }
}

/// A report with every verdict, three areas, findings, stderr and notes.
pub(crate) fn sample_report() -> RunReport {
    let mut fail = case("jsonrpc.id-echo", Verdict::Fail);
    fail.findings = vec![
        finding("response id 8 does not echo request id 7"),
        finding("second finding"),
    ];
    fail.stderr = "warning: something odd\n".to_string();
    let mut warn = case("tools.progress", Verdict::Warn);
    warn.severity = Severity::Should;
    warn.requirements = vec!["PROG-002".to_string(), "TOOL-010".to_string()];
    warn.findings = vec![Finding {
        requirements: vec!["PROG-002".to_string()],
        severity: Severity::Should,
        message: "no notifications/progress before the result".to_string(),
        sent: None,
        expected: None,
        actual: None,
        diff: None,
    }];
    let mut error = case("lifecycle.shutdown", Verdict::Error);
    error.requirements = vec!["LIFE-010".to_string(), "STDIO-004".to_string()];
    error.findings = vec![finding("no response within 5000 ms")];
    error.stderr = "panic: boom\n".to_string();
    let mut skip = case("tools.call-unknown", Verdict::Skip);
    skip.revision = None;
    skip.transcript.clear();
    let mut note = case("http.foreign-host-rejected", Verdict::Note);
    note.severity = Severity::Note;
    note.requirements = vec!["SEC-04".to_string()];
    note.findings = vec![Finding {
        requirements: vec!["SEC-04".to_string()],
        severity: Severity::Note,
        message: "status 200 for Host: rebind.invalid".to_string(),
        sent: None,
        expected: None,
        actual: Some(json!({"status": 200})),
        diff: None,
    }];
    let cases = vec![
        case("jsonrpc.ping", Verdict::Pass),
        fail,
        case("lifecycle.initialize", Verdict::Pass),
        error,
        warn,
        skip,
        case("tools.list", Verdict::Pass),
        note,
    ];
    RunReport {
        nothing_judged: None,
        format_version: REPORT_FORMAT_VERSION,
        tool_version: "0.1.0".to_string(),
        target: TargetInfo {
            description: "node server.js --stdio".to_string(),
            transport: "stdio".to_string(),
            config_name: Some("example".to_string()),
        },
        server: ServerFacts {
            supported_revisions: vec!["2025-06-18".to_string(), "2025-11-25".to_string()],
            negotiated_revision: Some("2025-11-25".to_string()),
            server_info: Some(json!({"name": "example-server", "version": "1.2.3"})),
            capabilities: Some(json!({"tools": {"listChanged": true}})),
            notes: vec!["2024-11-05 not tested: server rejected it".to_string()],
            token_missing: false,
        },
        started_at: "2025-11-25T10:00:00Z".to_string(),
        duration_ms: 1234,
        summary: Summary::from_cases(&cases),
        cases,
    }
}

/// A fuzz breach as `--fuzz` reports it: a generated result (area `fuzz`) whose finding
/// carries the minimal input, the server's reply and the replay command. Its input holds
/// the characters each format escapes (`<`, `&`, `"`, `%`, `:`, `,`, non-ASCII).
pub(crate) fn fuzz_breach() -> CaseResult {
    let mut c = CaseResult::generated(
        (
            "fuzz.echo.strings".to_string(),
            "Fuzzing `echo` with strings inputs (40 cases, 52 calls, seed 7)".to_string(),
        ),
        "fuzz",
        &["RPC-03"],
        "(generated by --fuzz)",
        Some("2025-11-25"),
    );
    let input = json!({"text": "<a href=\"x\">&amp; 100% ünïcödé, ok: 1</a>"});
    let message = format!(
        "tools/call answered -32603 for input the schema allows [rule internal-error]; \
         minimal input after 3 shrink steps (case 17 of seed 7): {input}; campaign seed 7; \
         replay: mcp-conform --fuzz --fuzz-seed 7 --fuzz-cases 40 --fuzz-tools echo -- node server.js --stdio"
    );
    let sent = json!({"jsonrpc": "2.0", "method": "tools/call",
        "params": {"name": "echo", "arguments": input}});
    let reply = json!({"jsonrpc": "2.0", "id": 3,
        "error": {"code": -32603, "message": "Internal error"}});
    c.verdict = Verdict::Fail;
    c.duration_ms = 850;
    c.reason = Some(format!("[RPC-03] {message}"));
    c.findings = vec![Finding {
        requirements: vec!["RPC-03".to_string()],
        severity: Severity::Must,
        message,
        sent: Some(sent.clone()),
        expected: None,
        actual: Some(reply.clone()),
        diff: None,
    }];
    c.transcript = vec![
        TranscriptEntry {
            at_ms: 0,
            direction: Direction::Sent,
            body: sent.into(),
        },
        TranscriptEntry {
            at_ms: 5,
            direction: Direction::Received,
            body: reply.into(),
        },
    ];
    c.stderr = "Error: internal\n    at handler (server.js:12:7)\n".to_string();
    c
}

/// The report every renderer's snapshot shows (`report/snapshots/`): [`sample_report`]
/// with a fuzz breach after its cases.
pub(crate) fn snapshot_report() -> RunReport {
    let mut report = sample_report();
    report.cases.push(fuzz_breach());
    report.summary = Summary::from_cases(&report.cases);
    report
}
