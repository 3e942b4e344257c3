//! Legal variants: each switch makes the reference server take one unusual choice that
//! the specification allows and the default server does not take. They are the mirror
//! of the fault switches: a fault must fail the cases that name it, a variant must fail
//! no case (`fixtures/variants.yaml` quotes the sentence that allows each choice, and
//! `harness/tests/suite/conformance.rs` runs every case against every variant).
//!
//! To add one: a line in the list below, the behaviour behind
//! `config.variants.has(Variant::…)`, and an entry in `fixtures/variants.yaml`.

crate::switches::switches! {
    /// One legal but unusual choice.
    Variant, Variants {
        OneItemPerPage => "one-item-per-page": "every paginated list returns one item per page",
        MetaInToolData => "meta-in-tool-data": "a `_meta` key inside tool data: in structuredContent and as a tool argument",
        ResourcesNoMime => "resources-no-mime": "resources are listed and read without mimeType",
        CursorLong => "cursor-long": "pagination cursors are long (over 1,000 characters)",
        CursorOdd => "cursor-odd": "pagination cursors hold spaces, %, /../ and non-ASCII characters",
        EmptyPageCursor => "empty-page-cursor": "the first page of each list is empty but carries nextCursor",
        ToolRefuses => "tool-refuses": "a read-only tool refuses schema-valid input with isError (file not found)",
        SlowTool => "slow-tool": "a read-only tool takes 30 s for its default input",
        ResourceReadRefused => "resource-read-refused": "one listed resource reads as an empty contents array, another is answered -32002 (gone since it was listed)",
        ListChangeToolsOnly => "list-change-tools-only": "toggle_extra changes (and notifies) only the tool list; resources and prompts never change",
        CompletionError => "completion-error": "completion/complete answers -32602 for an argument it cannot complete",
        JsonOnly => "json-only": "HTTP: every POST is answered with one JSON body, never an SSE stream (progress is not sent)",
        SseAlways => "sse-always": "HTTP: every POST that carries a request is answered with an SSE stream, initialize too",
        Get405 => "get-405": "HTTP: GET is answered 405 (no standalone stream, no resumption); POST SSE events still carry ids",
        Delete405 => "delete-405": "HTTP: DELETE is answered 405 (clients cannot end sessions)",
        Stateless => "stateless": "HTTP: no MCP-Session-Id is issued; every request is served without one (GET and DELETE: 405)",
        PollEveryStream => "poll-every-stream": "HTTP 2025-11-25: every SSE stream (POST and GET) is primed, and its connection closes after what it has sent; the client resumes with GET and Last-Event-ID",
        SessionUuid => "session-uuid": "HTTP: session ids are random UUIDs (8-4-4-4-12 hex)",
        NoReplay => "no-replay": "HTTP: a GET with Last-Event-ID replays nothing (it opens the standalone stream)",
        SessionJwt => "session-jwt": "HTTP: session ids are JWT-shaped tokens (three base64url parts joined by dots)",
        OauthErrorBody => "oauth-error-body": "HTTP with --bearer: 401 and 403 refusals carry an OAuth error object ({\"error\": \"invalid_token\"}, application/json) instead of a JSON-RPC error",
        ServerPings => "server-pings": "pings the client every 150 ms once the session is initialized",
        UnsolicitedLogs => "unsolicited-logs": "logs \"serving METHOD\" at level info before serving each request of an initialized session",
        ExtraFields => "extra-fields": "every non-empty result also carries a member the schema does not name and a vendor _meta key",
        ErrorData => "error-data": "every error carries a data object with details",
        ChattyStderr => "chatty-stderr": "writes 300 lines to stderr at startup and a line for every message it receives",
        EarlyPing => "early-ping": "pings the client right after answering initialize, before notifications/initialized",
        EarlyLog => "early-log": "logs a notifications/message at level info right after answering initialize, before notifications/initialized",
        SseEndpointRelative => "sse-endpoint-relative": "legacy SSE: the endpoint event is a relative reference (messages?sessionId=…)",
        SseEndpointQuery => "sse-endpoint-query": "legacy SSE: the endpoint URI carries a longer query string (several parameters, percent-encoding)",
        SseEndpointLocalhost => "sse-endpoint-localhost": "legacy SSE: the endpoint event is an absolute URL naming the host `localhost` (same port)",
        VersionErrorForm => "version-error-form": "an unsupported protocolVersion gets the -32602 \"Unsupported protocol version\" error instead of a counter-offer",
        Only2025_11_25 => "only-2025-11-25": "speaks only 2025-11-25 (no 2026-07-28 either); any other request gets it as counter-offer",
        Only2024_11_05 => "only-2024-11-05": "speaks only 2024-11-05 (no 2026-07-28 either); any other request gets it as counter-offer",
        ToolsOnly => "tools-only": "declares only the tools capability: no resources, prompts, logging or completions",
        NoTools => "no-tools": "declares no tools capability (tools/list and tools/call answer -32601)",
        NoTemplates => "no-templates": "resources without templates: resources/templates/list answers -32601",
        ListChangedStatic => "list-changed-static": "declares listChanged: true but no list ever changes (toggle_extra changes nothing)",
    }
}

impl Variants {
    /// The one session revision the server speaks, if a single-revision variant is on.
    pub fn only_revision(&self) -> Option<crate::version::Revision> {
        use crate::version::Revision;
        if self.has(Variant::Only2024_11_05) {
            Some(Revision::V2024_11_05)
        } else if self.has(Variant::Only2025_11_25) {
            Some(Revision::V2025_11_25)
        } else {
            None
        }
    }

    /// Whether the server also speaks 2026-07-28 (dual-era). A single-revision
    /// server does not.
    pub fn speaks_modern(&self) -> bool {
        self.only_revision().is_none()
    }

    /// Whether the server declares (and serves) a capability area: `tools`,
    /// `resources`, `prompts`, `logging`, `completions`.
    pub fn declares(&self, area: &str) -> bool {
        match area {
            "tools" => !self.has(Variant::NoTools),
            "resources" | "prompts" | "logging" | "completions" => !self.has(Variant::ToolsOnly),
            _ => true,
        }
    }
}
