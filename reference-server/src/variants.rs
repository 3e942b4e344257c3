//! Legal variants: each switch makes the reference server take one unusual choice that
//! the specification allows and the default server does not take. They are the mirror
//! of the fault switches: a fault must fail the cases that name it, a variant must fail
//! no case (`fixtures/variants.yaml` quotes the sentence that allows each choice, and
//! `harness/tests/suite/conformance.rs` runs every case against every variant).
//!
//! To add one: a line in the list below, the behaviour behind
//! `config.variants.has(Variant::…)`, and an entry in `fixtures/variants.yaml` (its
//! `description` line is generated from the list below: see `catalogue.rs`).

crate::switches::switches! {
    /// One legal but unusual choice.
    Variant, Variants {
        OneItemPerPage => "one-item-per-page": "every paginated list returns one item per page",
        MetaInToolData => "meta-in-tool-data": "a `_meta` key inside tool data: the `label` tool takes an argument named `_meta` and returns `_meta` (with keys such as \"labelled by\") in structuredContent",
        ResourcesNoMime => "resources-no-mime": "resources, templates and read contents carry no mimeType",
        CursorLong => "cursor-long": "every nextCursor is over 1,200 characters long",
        CursorOdd => "cursor-odd": "every nextCursor holds spaces, `%`, `/../` and non-ASCII characters",
        EmptyPageCursor => "empty-page-cursor": "the first page of every list is empty but carries a nextCursor; the items follow on the next pages",
        ToolRefuses => "tool-refuses": "the read-only tool `read_note` refuses every schema-valid name but \"welcome\" with isError: true (note not found)",
        SlowTool => "slow-tool": "the read-only tool `wait` takes 30 s for its default input (`seconds: 30`)",
        ResourceReadRefused => "resource-read-refused": "resources/read of the listed ref://text/long gives an empty `contents` array, of the listed ref://json/config a -32002 error (as if gone since it was listed)",
        ListChangeToolsOnly => "list-change-tools-only": "the hinted toggle_extra adds or removes only the extra tool (and notifies tools/list_changed only); the resource and prompt lists never change, though their listChanged is declared",
        CompletionError => "completion-error": "completion/complete answers -32602 for an argument it has no completions for (summarize's `text`, a template variable other than `id`)",
        JsonOnly => "json-only": "HTTP: every POST is answered with one JSON body, never an SSE stream; progress and log messages of a request are not sent",
        SseAlways => "sse-always": "HTTP: every POST that carries a request is answered with an SSE stream, initialize too",
        Get405 => "get-405": "HTTP: GET is answered 405 (no standalone stream, no resumption) while POST SSE events still carry ids",
        Delete405 => "delete-405": "HTTP: DELETE is answered 405 (the server does not let clients end sessions)",
        Stateless => "stateless": "HTTP: no MCP-Session-Id is issued and every request is served without one; GET and DELETE get 405; in the session era no logging capability is declared (no session would keep the level logging/setLevel sets)",
        PollEveryStream => "poll-every-stream": "HTTP 2025-11-25: every SSE stream (POST and GET) is primed and its connection closes after each delivery; the client resumes with GET and Last-Event-ID",
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
        SseEndpointRelative => "sse-endpoint-relative": "legacy SSE: the endpoint event is a relative reference (messages?sessionId=…), resolved against the SSE URL",
        SseEndpointQuery => "sse-endpoint-query": "legacy SSE: the endpoint URI carries a longer query string (several parameters, percent-encoding, an empty value)",
        SseEndpointLocalhost => "sse-endpoint-localhost": "legacy SSE: the endpoint event is an absolute URL naming the host `localhost` (the server listens on 127.0.0.1, same port)",
        VersionErrorForm => "version-error-form": "an unsupported protocolVersion in initialize gets the -32602 \"Unsupported protocol version\" error (data.supported, data.requested) instead of a counter-offer",
        Only2025_11_25 => "only-2025-11-25": "speaks 2025-11-25 alone (not 2026-07-28 either): any other requested version gets 2025-11-25 as counter-offer",
        Only2024_11_05 => "only-2024-11-05": "speaks 2024-11-05 alone (not 2026-07-28 either): any other requested version gets 2024-11-05 as counter-offer",
        ToolsOnly => "tools-only": "declares only the tools capability: resources, prompts, logging and completion methods answer -32601, no log messages, no embedded resources",
        NoTools => "no-tools": "declares no tools capability: tools/list and tools/call answer -32601",
        NoTemplates => "no-templates": "resources without templates: resources/templates/list answers -32601",
        ListChangedStatic => "list-changed-static": "declares listChanged: true for tools, resources and prompts, but no list ever changes (toggle_extra changes nothing)",
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

    /// [`Variants::declares`] for the session era (`initialize`): variant `stateless`
    /// declares no logging there, as no session would keep the level `logging/setLevel`
    /// sets for later requests (LOG-02). At 2026-07-28 each request names its own level.
    pub fn declares_in_session(&self, area: &str) -> bool {
        self.declares(area) && !(area == "logging" && self.has(Variant::Stateless))
    }
}
