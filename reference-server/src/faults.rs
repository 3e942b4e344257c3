//! Fault switches: each one turns the reference server into a "mutant"
//! that breaks exactly one rule of the protocol and is otherwise correct.

use std::collections::BTreeSet;
use std::fmt;

macro_rules! faults {
    ($( $variant:ident => $name:literal : $desc:literal ),* $(,)?) => {
        /// One deliberate protocol violation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $( $variant, )*
        }

        impl Fault {
            /// Every fault, in documentation order.
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )* ];

            /// The command-line name of the fault.
            pub fn name(self) -> &'static str {
                match self {
                    $( Fault::$variant => $name, )*
                }
            }

            /// One-line description of what the fault breaks.
            pub fn description(self) -> &'static str {
                match self {
                    $( Fault::$variant => $desc, )*
                }
            }
        }
    };
}

faults! {
    InitNoServerInfo => "init-no-serverinfo": "initialize result omits serverInfo",
    InitCapabilitiesArray => "init-capabilities-array": "initialize result has \"capabilities\": []",
    InitNoProtocolVersion => "init-no-protocol-version": "initialize result omits protocolVersion",
    AnswerInitialized => "answer-initialized": "answers notifications/initialized with a result (id null)",
    AnswerUnknownNotifications => "answer-unknown-notifications": "answers notifications with unknown methods with -32601 (id null)",
    AnswerKnownNotifications => "answer-known-notifications": "answers known client notifications (roots/list_changed, progress, …) with a result (id null)",
    IgnoreNonObject => "ignore-non-object": "a JSON message that is not an object or array is dropped without an answer",
    NoPing => "no-ping": "ping is answered with -32601",
    PingRequiresInit => "ping-requires-init": "ping before initialize gets -32600 \"server not initialized\"",
    ServeBeforeInit => "serve-before-init": "requests before initialize are executed normally",
    VersionShiftUp => "version-shift-up": "negotiation answers the next newer revision",
    VersionShiftDown => "version-shift-down": "negotiation answers the next older revision",
    EchoAnyVersion => "echo-any-version": "echoes any requested protocolVersion, known or not",
    CounterOfferOldest => "counter-offer-oldest": "an unsupported requested version gets 2024-11-05 instead of the newest",
    ParseErrorSilent => "parse-error-silent": "invalid JSON is ignored (no -32700 response)",
    ParseErrorIdZero => "parse-error-id-zero": "the -32700 response carries \"id\": 0 instead of null",
    ExitOnBadJson => "exit-on-bad-json": "after answering invalid JSON with -32700 the process exits with code 1",
    LenientJsonrpc => "lenient-jsonrpc": "the jsonrpc field is not checked",
    MissingMethodWrongCode => "missing-method-wrong-code": "an object with an id but no method gets -32601 instead of -32600",
    AcceptAnyId => "accept-any-id": "ids of any JSON type are accepted and echoed back",
    UnknownMethodWrongCode => "unknown-method-wrong-code": "unknown methods get -32600 instead of -32601",
    InvalidParamsInternalError => "invalid-params-internal-error": "invalid tools/call params and non-object params get -32603 instead of -32602",
    ParamsTypeUnchecked => "params-type-unchecked": "non-object params are ignored (served as if absent)",
    StringifyIds => "stringify-ids": "responses carry integer ids as strings",
    NumberifyIds => "numberify-ids": "string ids made of digits come back as integers",
    ZeroIdDropped => "zero-id-dropped": "a request with id 0 is treated as a notification",
    ResultAndError => "result-and-error": "every success response also carries \"error\": null",
    NoJsonrpcInResponses => "no-jsonrpc-in-responses": "responses lack the jsonrpc field",
    ErrorCodeString => "error-code-string": "error codes are serialized as strings",
    ErrorOnUnknownCancel => "error-on-unknown-cancel": "notifications/cancelled it cannot apply (unknown or malformed id) is answered with -32602 (id null)",
    NoBatch => "no-batch": "arrays are always rejected with -32600, also under 2025-03-26",
    BatchAlways => "batch-always": "arrays are processed as batches under every revision",
    BannerOnStdout => "banner-on-stdout": "prints \"mcp-reference-server ready\" to stdout at startup",
    PrettyPrint => "pretty-print": "writes every message pretty-printed over several lines",
    Latin1Output => "latin1-output": "encodes stdout as Latin-1 (characters above U+00FF become '?')",
    IgnoreEof => "ignore-eof": "does not exit on stdin EOF",
    EarlyRootsRequest => "early-roots-request": "sends roots/list right after the initialize response, before notifications/initialized",
    FuzzRefuseDeepJson => "fuzz-refuse-deep-json": "HTTP: a POST body nested too deeply for serde_json (128 levels) is refused with 415 and a text body, without a JSON-RPC response",
    FuzzCrashBigInt => "fuzz-crash-big-int": "tools/call: the process exits when a numeric argument exceeds 2^53 in magnitude",
    FuzzHangMissingArg => "fuzz-hang-missing-arg": "tools/call: never answers when a required argument is missing",
    FuzzInternalErrorLongString => "fuzz-internal-error-long-string": "tools/call: -32603 when a string argument is longer than 1000 characters",
    FuzzViolateOutputSchema => "fuzz-violate-output-schema": "add: structuredContent.sum is a string (breaking the outputSchema) when a + b > 100",
    UnknownSession400 => "unknown-session-400": "HTTP: an unknown or ended session id gets 400 instead of 404",
    ReplayRepeatsEvent => "replay-repeats-event": "HTTP: resumption replays the event named by Last-Event-ID too",
    ReplayCrossStream => "replay-cross-stream": "HTTP: resumption replays later events of every stream, not only the broken one",
    Notification200 => "notification-200": "HTTP: an accepted notification or response gets 200 instead of 202",
    NoOriginCheck => "no-origin-check": "HTTP: the Origin header is not checked",
    SessionIdWithSpace => "session-id-with-space": "HTTP: session ids contain spaces",
    AcceptInvalidNotification => "accept-invalid-notification": "HTTP: a POSTed message without id that the server rejects still gets 202",
    NoSessionRequired => "no-session-required": "HTTP: requests without MCP-Session-Id are served instead of getting 400",
    SseEndpointForeignOrigin => "sse-endpoint-foreign-origin": "legacy SSE: the endpoint event names a URL on another origin",
    SseNoEndpointEvent => "sse-no-endpoint-event": "legacy SSE: the stream starts without an endpoint event",
    ProtocolVersionUnchecked => "protocol-version-unchecked": "HTTP: the MCP-Protocol-Version header is not checked",
    DeleteKeepsSession => "delete-keeps-session": "HTTP: DELETE answers 200 but the session goes on",
    NoPrimingEvent => "no-priming-event": "HTTP: SSE streams of POSTs start without a priming event under 2025-11-25",
    JsonTextPlain => "json-text-plain": "HTTP: JSON answers to POSTs are labelled Content-Type: text/plain",
    Get400 => "get-400": "HTTP: GET on the endpoint gets 400 instead of an SSE stream or 405",
    EventIdPerStream => "event-id-per-stream": "HTTP: SSE event ids restart at 1 on every stream",
    ToolsNoInputSchema => "tools-no-input-schema": "tools/list omits inputSchema from the first tool",
    ToolsDuplicateName => "tools-duplicate-name": "tools/list lists the first tool's name twice (the last tool is renamed)",
    ToolsBadAnnotation => "tools-bad-annotation": "tool annotations carry readOnlyHint as the string \"yes\"",
    InputSchemaInvalid => "input-schema-invalid": "the echo tool's inputSchema gives its property the type \"text\" (not a JSON Schema type)",
    StructuredContentMismatch => "structured-content-mismatch": "add returns structuredContent {total} although its outputSchema requires {sum}",
    UnknownToolIsErrorResult => "unknown-tool-is-error-result": "an unknown tool name gets a result with isError: true instead of a JSON-RPC error",
    ToolArgsUnchecked => "tool-args-unchecked": "tools/call does not validate arguments against the inputSchema",
    ToolContentBadType => "tool-content-bad-type": "tool results use the content type \"txt\"",
    ResourceNoName => "resource-no-name": "resources/list items lack name",
    ResourceBlobNotBase64 => "resource-blob-not-base64": "blob contents are not base64",
    TemplateUnbalanced => "template-unbalanced": "the uriTemplate has an unclosed brace",
    ResourceNotFoundEmpty => "resource-not-found-empty": "reading an unknown uri returns an empty contents array",
    SubscribeUnsupported => "subscribe-unsupported": "resources/subscribe gets -32601 although subscribe is declared",
    ResourceBadMime => "resource-bad-mime": "resources carry the mimeType \"plain\"",
    ResourcePriorityOutOfRange => "resource-priority-out-of-range": "resource annotations have priority 2",
    PromptRequiredString => "prompt-required-string": "prompt arguments carry required as a string",
    PromptBadRole => "prompt-bad-role": "prompt messages have the role \"system\"",
    PromptMissingArgumentOk => "prompt-missing-argument-ok": "prompts/get without a required argument succeeds",
    UnknownPromptWrongCode => "unknown-prompt-wrong-code": "an unknown prompt name gets -32601",
    CompletionTooMany => "completion-too-many": "completion/complete returns 150 values",
    CompletionUnknownPromptEmpty => "completion-unknown-prompt-empty": "completion for an unknown prompt returns an empty list",
    SetLevelUnsupported => "set-level-unsupported": "logging/setLevel gets -32601 although logging is declared",
    SetLevelAcceptsAny => "set-level-accepts-any": "logging/setLevel accepts any level",
    LogLevelInvalid => "log-level-invalid": "notifications/message uses the level \"WARN\"",
    ListChangedUndeclared => "list-changed-undeclared": "declares no listChanged flags but still sends list_changed notifications",
    NoListChanged => "no-list-changed": "declares listChanged but never sends list_changed notifications",
    UpdatedUnsubscribedUri => "updated-unsubscribed-uri": "also sends notifications/resources/updated for a URI nobody subscribed to",
    InvalidCursorFirstPage => "invalid-cursor-first-page": "an unknown cursor returns the first page",
    PageOverlap => "page-overlap": "each page repeats the last item of the previous one",
    ProgressTokenStringified => "progress-token-stringified": "integer progress tokens come back as strings",
    ProgressNotIncreasing => "progress-not-increasing": "progress stays at 1 for every notification",
    ProgressAfterResponse => "progress-after-response": "one more progress notification follows the response",
    IgnoreCancel => "ignore-cancel": "notifications/cancelled does not stop a running request",
    NotificationWithId => "notification-with-id": "notifications/message carries an id",
    CancelClientRequests => "cancel-client-requests": "after answering a ping, sends notifications/cancelled for the client's ping id",
    CancelInitializeResets => "cancel-initialize-resets": "a notifications/cancelled naming the initialize request undoes the initialization",
    ResourceUriNoScheme => "resource-uri-no-scheme": "the first listed resource's uri has no scheme",
    ServerRequestIdReuse => "server-request-id-reuse": "every request the server sends has the id srv-1",
    RootsWithoutCapability => "roots-without-capability": "ask_roots sends roots/list even when the client did not declare roots",
    BroadcastToStandalone => "broadcast-to-standalone": "HTTP: every message sent on a POST stream is also sent on the standalone GET stream",
    ProgressOnStandalone => "progress-on-standalone": "HTTP: progress notifications of a request in flight go on the standalone GET stream instead of its POST stream",
    KeepStreamOpen => "keep-stream-open": "HTTP: the SSE stream of a POST stays open after the last response",
    SseWrongEventName => "sse-wrong-event-name": "legacy SSE: messages go out as `event: msg` instead of `message`",
    AuthOptional => "auth-optional": "HTTP with --bearer: requests without a token are served",
    AuthAnyToken => "auth-any-token": "HTTP with --bearer: any bearer token is accepted",
    AuthSessionTrusted => "auth-session-trusted": "HTTP with --bearer: the token is checked only on requests without a session id; a known session id is taken as proof",
    Auth403ForMissing => "auth-403-for-missing": "HTTP with --bearer: a request without a token gets 403 instead of 401",
    AuthNoResourceMetadata => "auth-no-resource-metadata": "HTTP with --bearer: the 401 challenge names no resource_metadata and no well-known metadata is served",
    AuthNoScope => "auth-no-scope": "HTTP with --bearer: the 401 challenge names no scope",
    AuthPrmNoServers => "auth-prm-no-servers": "HTTP with --bearer: the protected-resource metadata lists no authorization server",
    AuthPrmWrongResource => "auth-prm-wrong-resource": "HTTP with --bearer: the protected-resource metadata names another resource than the server's URL",
    AuthAsNoPkce => "auth-as-no-pkce": "HTTP with --bearer: the authorization-server metadata omits code_challenge_methods_supported",
    AuthOfflineAccess => "auth-offline-access": "HTTP with --bearer: the challenge and the metadata ask for the offline_access scope",
    AuthAsMissing => "auth-as-missing": "HTTP with --bearer: no authorization-server metadata and no /authorize, /token, /register endpoints",
    SequentialSessionIds => "sequential-session-ids": "HTTP: session ids are a zero-padded counter",
    NoHostCheck => "no-host-check": "HTTP: the Host header is not checked (DNS rebinding)",
    OriginRejectAll => "origin-reject-all": "HTTP: every request with an Origin header gets 403, localhost too",
    ProgressOnNewestStream => "progress-on-newest-stream": "HTTP: progress notifications go on the newest open POST stream, whatever request they belong to",
    MetaKeyInvalid => "meta-key-invalid": "the first tool of tools/list carries the _meta key \"not a key!\"",
    ReplayAcrossSessions => "replay-across-sessions": "HTTP: a Last-Event-ID unknown in the session is looked up in the other sessions and replayed from there",
    TraversalDotdot => "traversal-dotdot": "--root files: relative paths are joined to the root without a `..` check",
    TraversalEncoded => "traversal-encoded": "--root files: the path is checked, then percent-decoded and used",
    TraversalAbsolute => "traversal-absolute": "--root files: absolute paths are used as given",
    TraversalSymlink => "traversal-symlink": "--root files: a lexical check only; symlinks inside the root are followed out of it",
    TraversalPrefix => "traversal-prefix": "--root files: containment is a string starts_with on the root (root-x passes)",
    TraversalWrite => "traversal-write": "--root files: adds write_file (destructiveHint: false), which joins the path to the root with no check",
    ModernDiscoverNoCapabilities => "modern-discover-no-capabilities": "2026-07-28: the server/discover result lacks capabilities",
    ModernVersionWrongCode => "modern-version-wrong-code": "2026-07-28: an unsupported _meta protocol version gets -32602 instead of -32022",
    ModernMetaOptional => "modern-meta-optional": "2026-07-28: a request without _meta clientCapabilities is served as if it declared none",
    ModernNoResultType => "modern-no-result-type": "2026-07-28: results lack resultType",
    ModernCacheScopeVaries => "modern-cache-scope-varies": "2026-07-28: list pages after the first say cacheScope \"private\"",
    ModernToolsOrderVaries => "modern-tools-order-varies": "2026-07-28: every second tools/list returns its page in reverse order",
    ModernResourceOldCode => "modern-resource-old-code": "2026-07-28: an unknown resource gets -32002 instead of -32602",
    ModernLogsUnasked => "modern-logs-unasked": "2026-07-28: the log tool sends notifications/message although the request set no log level",
    ModernSendsRequests => "modern-sends-requests": "2026-07-28: ask_roots sends a roots/list request to the client",
    ModernMissingCapabilityServed => "modern-missing-capability-served": "2026-07-28: ask_roots without the roots client capability gets a tool error instead of -32021",
    ModernHeadersUnchecked => "modern-headers-unchecked": "2026-07-28 HTTP: Mcp-Method, Mcp-Name and MCP-Protocol-Version are not compared with the body",
    ModernUnknownMethod200 => "modern-unknown-method-200": "2026-07-28 HTTP: an unknown method gets its -32601 with status 200 instead of 404",
    ModernErrorStatus200 => "modern-error-status-200": "2026-07-28 HTTP: -32022, -32602 (_meta) and -32021 errors come with status 200 instead of 400",
    ModernNoServerInfo => "modern-no-server-info": "2026-07-28: results carry no io.modelcontextprotocol/serverInfo in _meta",
    ModernNoAccelBuffering => "modern-no-accel-buffering": "2026-07-28 HTTP: SSE answers lack X-Accel-Buffering: no",
    ModernInputRequestUndeclared => "modern-input-request-undeclared": "2026-07-28: ask_roots also asks for sampling/createMessage, which the client did not declare",
    ModernInitializeBareError => "modern-initialize-bare-error": "2026-07-28 only (--modern-only): the error to initialize names no supported version",
    ModernOnlyServesGet => "modern-only-serves-get": "2026-07-28 only (--modern-only): GET and DELETE are handled as by a session-era server instead of 405",
    ModernRemembersCapabilities => "modern-remembers-capabilities": "2026-07-28: client capabilities declared by an earlier request on the connection count for later requests",
    ModernBadXMcpHeader => "modern-bad-x-mcp-header": "2026-07-28: the add tool's number property a carries x-mcp-header (only integer, string and boolean may)",
    ModernParamHeaderUnchecked => "modern-param-header-unchecked": "2026-07-28 HTTP: Mcp-Param-* headers are not checked against the tool arguments",
    ModernXMcpHeaderInItems => "modern-x-mcp-header-in-items": "2026-07-28: echo's inputSchema gains an array property whose items carry x-mcp-header (not reachable through properties keys only)",
    ModernXMcpHeaderInAnyOf => "modern-x-mcp-header-in-any-of": "2026-07-28: echo's inputSchema gains a property whose anyOf branch carries x-mcp-header",
    ModernXMcpHeaderOnObject => "modern-x-mcp-header-on-object": "2026-07-28: echo's inputSchema gains a nested object property that carries x-mcp-header itself",
    ModernXMcpHeaderDuplicate => "modern-x-mcp-header-duplicate": "2026-07-28: echo's inputSchema gains a second property with x-mcp-header TEXT, equal to Text ignoring case",
    ModernParamHeaderMismatchAccepted => "modern-param-header-mismatch-accepted": "2026-07-28 HTTP: an Mcp-Param-* header must be present but its value is not compared with the argument",
    ModernParamHeaderBase64Rejected => "modern-param-header-base64-rejected": "2026-07-28 HTTP: Mcp-Param-* values in the Base64 sentinel form are compared undecoded, so a correct encoded value is refused",
    ModernParamHeaderBadBase64Accepted => "modern-param-header-bad-base64-accepted": "2026-07-28 HTTP: an Mcp-Param-* sentinel that is not valid Base64 is accepted without comparison",
    ModernParamHeaderCharsUnchecked => "modern-param-header-chars-unchecked": "2026-07-28 HTTP: Mcp-Param-* values are read as UTF-8, so raw non-ASCII characters are accepted when they spell the argument",
    ModernParamHeaderRequiredWhenAbsent => "modern-param-header-required-when-absent": "2026-07-28 HTTP: an Mcp-Param-* header is required even when its argument is absent or null",
    ModernSubscriptionUntagged => "modern-subscription-untagged": "2026-07-28: notifications of a subscriptions/listen stream lack io.modelcontextprotocol/subscriptionId",
    ModernSubscriptionUnfiltered => "modern-subscription-unfiltered": "2026-07-28: a subscription gets every list_changed type, requested or not",
    EmbeddedResourceUndeclared => "embedded-resource-undeclared": "initialize declares no resources capability, though the greeting tool returns an embedded resource",
    ElicitUrlUndeclared => "elicit-url-undeclared": "ask_roots first sends a URL-mode elicitation/create, whatever elicitation modes the client declared",
    AuthScopeNoChallenge => "auth-scope-no-challenge": "HTTP with --scoped-bearer: insufficient scope gets 403 without a WWW-Authenticate challenge",
    AuthScope401 => "auth-scope-401": "HTTP with --scoped-bearer: insufficient scope gets 401 invalid_token instead of 403 insufficient_scope",
    AuthScopeVaries => "auth-scope-varies": "HTTP with --scoped-bearer: every other insufficient_scope challenge names only the missing scope, not all the operation needs",
    AuthScopeHierarchyIgnored => "auth-scope-hierarchy-ignored": "HTTP with --scoped-bearer: mcp:admin is not taken to imply mcp:tools, so the --bearer token cannot call tools",
    ModernSubscriptionNoAck => "modern-subscription-no-ack": "2026-07-28: subscriptions/listen is never acknowledged (no notifications/subscriptions/acknowledged)",
    ModernSubscriptionUntaggedAck => "modern-subscription-untagged-ack": "2026-07-28: the subscription acknowledgement lacks io.modelcontextprotocol/subscriptionId",
    ModernClosedSubscriptionRerouted => "modern-closed-subscription-rerouted": "2026-07-28 HTTP: a subscription whose stream the client closed is not ended; its notifications go on another subscription's stream",
    ModernCancelEndsAllSubscriptions => "modern-cancel-ends-all-subscriptions": "2026-07-28: cancelling one subscriptions/listen request (or closing its stream) ends every open subscription",
    ModernLegacyErrorCode => "modern-legacy-error-code": "2026-07-28: an unknown tool gets -32001 (legacy implementation-defined range) instead of -32602",
}

impl Fault {
    /// Looks a fault up by its command-line name.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of active faults (empty for the correct server).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults(BTreeSet<Fault>);

impl Faults {
    /// No faults: the correct reference server.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses command-line names; returns the first unknown name as error.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for name in names {
            let name = name.as_ref();
            match Fault::from_name(name) {
                Some(f) => {
                    set.insert(f);
                }
                None => return Err(name.to_string()),
            }
        }
        Ok(Faults(set))
    }

    /// Builds a set from faults directly (used by tests).
    #[cfg(test)]
    pub fn of(list: &[Fault]) -> Self {
        Faults(list.iter().copied().collect())
    }

    /// Whether a fault is active.
    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }

    /// Whether no fault is active.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Comma-separated names, for logs.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|f| f.name()).collect();
        names.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = BTreeSet::new();
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(*f));
            assert!(seen.insert(f.name()), "duplicate name {}", f.name());
            assert!(!f.description().is_empty());
        }
        assert!(!Fault::ALL.is_empty());
    }

    #[test]
    fn parse_rejects_unknown() {
        assert_eq!(
            Faults::parse(&["no-ping", "bogus"]),
            Err("bogus".to_string())
        );
        let f = Faults::parse(&["no-ping", "stringify-ids"]).expect("valid");
        assert!(f.has(Fault::NoPing) && f.has(Fault::StringifyIds));
        assert!(!f.has(Fault::NoBatch));
    }
}
