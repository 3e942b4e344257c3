//! Cases that share a server: a [`Lane`] keeps one server process (or, over HTTP, one
//! session) between the cases one worker runs one after another, for the cases that
//! may share one (`Case::shares_server`). The server is started and initialized
//! when a sharing case first needs it, at that case's revision and with its client
//! capabilities; a later case reuses it when it asks for the same revision and
//! capabilities and uses none of the request ids already used there. The server is
//! let go, and the next case starts a new one, when it closed, stopped reading, hit a
//! harness limit, a case on it could not be carried out, or it served
//! [`CASES_PER_SERVER`] cases.
//!
//! A server that dies during a shared case fails that case as it would on its own
//! process: the expectations that follow find nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::case::{Case, Given};
use crate::client::facts::Facts;
use crate::client::handshake::INIT_ID;
use crate::client::session::Session;
use crate::client::RunConfig;
use crate::outcome::CaseResult;
use crate::sandbox::Sandbox;

use super::{
    conclude, decided_before_start, gather, harness_error, run_steps, setup, skipped, Ctx, Ended,
};

/// Most cases one server serves before the lane starts a new one, so that anything a
/// long series of cases may leave behind stays bounded.
pub const CASES_PER_SERVER: usize = 64;

/// Where a worker keeps the server it shares between cases.
#[derive(Default)]
pub struct Lane {
    server: Option<Server>,
    /// Servers this lane started, and cases run on a server started earlier.
    pub started: usize,
    pub reused: usize,
}

struct Server {
    /// The revision and client capabilities it was initialized with.
    key: String,
    session: Session,
    /// The sandbox of its `{root}`, if the command names one: it lives as long as the
    /// server.
    _sandbox: Option<Sandbox>,
    init_result: Option<Value>,
    /// Request ids used on it so far (JSON text, as the cases write them).
    used_ids: BTreeSet<String>,
    cases: usize,
}

impl Lane {
    /// Whether the lane keeps a server now.
    pub fn has_server(&self) -> bool {
        self.server.is_some()
    }

    /// Stops the lane's server, if any.
    pub async fn close(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = server.session.finish().await;
        }
    }

    /// A server for `case` at `revision`: the lane's own when it fits, else a new one
    /// (started and initialized).
    async fn server_for(
        &mut self,
        ctx: &Ctx<'_>,
        revision: &str,
        client_caps: &Value,
        budget: Duration,
    ) -> Result<Server, NoServer> {
        let case = ctx.case;
        let key = format!("{revision} {client_caps}");
        let ids = case.request_ids();
        let fits = self
            .server
            .as_ref()
            .is_some_and(|s| s.key == key && s.used_ids.is_disjoint(&ids));
        if !fits {
            self.close().await;
        }
        if let Some(mut server) = self.server.take() {
            server.session.note(format!(
                "this case runs on a server process shared with {} earlier case(s); its initialize was answered before",
                server.cases
            ));
            server.used_ids.extend(ids);
            self.reused += 1;
            return Ok(server);
        }
        self.started += 1;
        let cfg = ctx.cfg;
        let slot = cfg.startup_slot().await;
        let (transport, sandbox) = cfg
            .connect_for_case()
            .map_err(|e| NoServer::Unreachable(Box::new(harness_error(case, e.to_string()))))?;
        let mut session = cfg.session(transport, client_caps.clone(), slot);
        session.set_revision(revision);
        let hello = setup(
            &mut session,
            Given::Initialized,
            revision,
            client_caps,
            cfg.timeout,
        );
        let failed = match tokio::time::timeout(budget, hello).await {
            Ok(Ok(init_result)) => {
                let mut used_ids = ids;
                used_ids.insert(json!(INIT_ID).to_string());
                return Ok(Server {
                    key,
                    session,
                    _sandbox: sandbox,
                    init_result,
                    used_ids,
                    cases: 0,
                });
            }
            Ok(Err(e)) => e,
            Err(_) => format!("the case did not finish within {} s", budget.as_secs()),
        };
        Err(NoServer::SetupFailed(Box::new(session), failed))
    }
}

/// Why a lane has no server for a case.
enum NoServer {
    /// It could not be started (the case's result says why).
    Unreachable(Box<CaseResult>),
    /// It started, but the handshake failed (why): the case ends as `error` with the
    /// session's transcript.
    SetupFailed(Box<Session>, String),
}

/// Runs a case that may share a server (`Case::shares_server`) on the lane's server,
/// within `budget`.
pub(super) async fn run_shared(
    case: &Case,
    cfg: &RunConfig,
    facts: &Facts,
    revision: &str,
    budget: Duration,
    lane: &mut Lane,
) -> CaseResult {
    let client_caps = case
        .client_capabilities
        .clone()
        .unwrap_or_else(|| json!({}));
    let mut ctx = Ctx::new(case, cfg, facts, revision);
    if let Some(reason) = decided_before_start(&case.steps, &ctx) {
        return skipped(case, reason);
    }
    let mut server = match lane.server_for(&ctx, revision, &client_caps, budget).await {
        Ok(s) => s,
        Err(NoServer::Unreachable(result)) => return *result,
        Err(NoServer::SetupFailed(session, why)) => {
            return conclude(ctx, Ended::Error(why), gather(*session).await)
        }
    };
    if let Some(init) = &server.init_result {
        ctx.vars.insert("init_result".into(), init.clone());
    }
    let steps = run_steps(&case.steps, &mut server.session, &mut ctx);
    let ended = match tokio::time::timeout(budget, steps).await {
        Ok(ended) => ended,
        Err(_) => {
            let why = format!("the case did not finish within {} s", budget.as_secs());
            server.session.note(format!("stopped: {why}"));
            Ended::Error(why)
        }
    };
    let carried_out = !matches!(ended, Ended::Error(_));
    let handover = server.session.hand_over(cfg.evidence.clone()).await;
    server.cases += 1;
    let keep = handover.reusable && carried_out && server.cases < CASES_PER_SERVER;
    let result = conclude(ctx, ended, handover.into());
    if keep {
        lane.server = Some(server);
    } else {
        let _ = server.session.finish().await;
    }
    result
}
