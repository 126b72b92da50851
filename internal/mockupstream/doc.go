// Package mockupstream is the provider emulator behind
// `nexus mock-upstream`: a fake OpenAI (chat, Responses, embeddings),
// Anthropic and Gemini that the end-to-end tests and load benchmarks use in
// place of the internet, and that users can point the gateway at to try it
// offline.
//
// Answers follow the real wire shapes recorded in shared/fixtures. The text
// is deterministic: Greeting, then " You said: " and a short prefix of the
// last user message when there is one, cut into chunks stream pieces
// (default 8; with more chunks than words the words repeat). Usage is
// consistent across shapes: prompt tokens = max(1, request bytes / 4),
// completion tokens = number of pieces (plus padding/4 with body_bytes).
//
// # Routes (matched on the path suffix, any prefix such as /v1 works)
//
//	POST …/chat/completions                 OpenAI chat, JSON or SSE ("stream":true)
//	POST …/embeddings                       OpenAI embeddings (float or base64, batch, dimensions)
//	GET  …/models                           OpenAI model list
//	POST …/responses                        OpenAI Responses, JSON or SSE (response.* events with
//	                                        sequence numbers; tool=1 answers with a function_call item)
//	POST …/messages                         Anthropic Messages, JSON or SSE
//	POST …/models/{model}:generateContent   Gemini
//	POST …/models/{model}:streamGenerateContent   Gemini stream (SSE with ?alt=sse, else a JSON array)
//
// Credentials: OpenAI routes need `Authorization: Bearer <non-empty>` (or
// Azure's `api-key`), else 401. Anthropic needs `x-api-key` (or a bearer
// token, which is how anthropic-sdk-go v2 sends its key; else 401) and
// `anthropic-version` (else 400). Gemini needs `x-goog-api-key` or `?key=`;
// without them it answers 403 PERMISSION_DENIED as Google does for
// unidentified callers, or 401 UNAUTHENTICATED when only a bearer token is
// sent. Key values are never echoed or logged.
//
// Every answer carries X-Mock-Request-Id (the request counter) and the
// provider's own request id header (x-request-id, request-id).
//
// # Directives
//
// Per-request behaviour comes from the X-Mock-Control header and from
// `[[mock: …]]` anywhere in the body (so faults can be driven through a
// gateway that drops custom headers); the header wins per key. Pairs are
// `key=value` separated by ';' or ','. Unknown keys are ignored.
//
//	status=N        answer N with the provider-shaped error body
//	retry_after=S   add Retry-After (and x-ratelimit-reset-* / anthropic-ratelimit-*-reset;
//	                Gemini 429 bodies carry it as RetryInfo.retryDelay)
//	fail_times=N    apply status only to the first N requests with the same
//	fail_key=K      fail_key (one counter per key, kept in the Server; no
//	                fail_key means one shared counter)
//	stall=D         wait D before anything, headers included (first-byte timeouts)
//	latency=D       wait D before the answer; for streams the headers are
//	                already sent, so it models time to first token
//	chunks=N        content pieces in a stream (default 8)
//	chunk_delay=D   wait D between stream frames
//	cut_after=N     streams: send the preamble and N content frames, then drop
//	                the connection; unary: announce the full Content-Length,
//	                send N bytes, drop. An HTTP/1.1 client reading the body
//	                gets io.ErrUnexpectedEOF (missing final chunk or short
//	                body), an HTTP/2 client a stream reset (INTERNAL_ERROR).
//	malformed=1     insert one syntactically broken frame after the first content frame
//	body_bytes=N    pad the unary answer text so the body is about N bytes
//	fixture=F/N     replay FixturesDir/F/N.{response.sse,chunks.txt,response.json}
//	                with status and content type from N.meta.json (or from a 4xx/5xx
//	                number in the name); SSE goes out frame by frame, byte-exact
//	tool=1          call the first declared tool with arguments {"mock":true},
//	                streamed as argument fragments in the provider's grammar
//	echo_headers=1  list the received header names (never values) in X-Mock-Seen-Headers
//
// Durations are Go durations; a bare number means milliseconds. Waits end
// early when the client goes away.
package mockupstream
