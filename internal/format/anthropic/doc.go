// Package anthropic is the codec between the Anthropic Messages wire shape
// (/v1/messages) and the canonical model: requests, responses, SSE streams
// and errors. It imports only internal/canonical and the standard library.
//
// # Requests (DecodeRequest / EncodeRequest)
//
//	Anthropic                                  canonical
//	model                                      Model (EncodeRequest writes upstreamModel)
//	system (string | text blocks)              System (text parts; cache_control → CacheControl/CacheTTL)
//	messages[].role user|assistant             Messages[].Role
//	  text                                     PartText
//	  image  source base64 | url               PartImage, Media{Data, MIMEType} | Media{URL}
//	  document source base64 pdf | text | url  PartDocument, Media{Data,MIMEType} | Media{URL}; title → Media.Title
//	  tool_use {id,name,input}                 PartToolCall, ToolCall{ID, Name, Arguments = input as JSON text}
//	  tool_result {tool_use_id,content,is_error}  a RoleTool message of PartToolResult parts (content: text/image/document)
//	  thinking {thinking,signature}            PartReasoning, Text + Reasoning.Signature
//	  redacted_thinking {data}                 PartReasoning, Reasoning{Redacted, Data}
//	  any other block (server tool blocks, file-id sources, search_result, …)
//	                                           Ext["anthropic"]["native_blocks"], with its position (see native.go)
//	max_tokens                                 MaxTokens
//	temperature / top_p / top_k                Temperature / TopP / TopK
//	stop_sequences                             Stop
//	stream                                     Stream (and IncludeUsage: Anthropic streams always carry usage)
//	metadata.user_id                           User
//	tools[] (no type, or type "custom")        Tools{Name, Description, Parameters = input_schema, Strict, CacheControl/CacheTTL}
//	tools[] server tools (web_search_…)        Ext["anthropic"]["server_tools"] (verbatim array)
//	tool_choice auto|any|tool|none             ToolChoice auto|required|tool(Name)|none
//	tool_choice.disable_parallel_tool_use      ParallelToolCalls = !value
//	output_config.format / output_format       ResponseFormat{json_schema, Schema} (output_format is the beta spelling; we send output_config.format)
//	output_config (other keys, e.g. effort)    Ext["anthropic"]["output_config"]
//	thinking, service_tier, container, mcp_servers, context_management, cache_control, inference_geo, speed
//	                                           Ext["anthropic"][same key], verbatim
//	nexus.ext.<provider>.<key>                 Ext[provider][key] (a native field wins over nexus.ext.anthropic.*)
//
// EncodeRequest also:
//   - writes RoleTool messages as user turns of tool_result blocks and merges
//     consecutive turns of the same role (Anthropic requires alternation);
//     inside a user turn tool_result blocks are moved first (Anthropic
//     rejects text before the results of the previous turn's calls);
//   - drops empty text parts and turns left without content (Anthropic
//     rejects empty text blocks; OpenAI sends content "" beside tool calls);
//   - gives a tool without parameters the schema {"type":"object","properties":{}};
//   - accepts only these Ext["anthropic"] keys: the verbatim list above plus
//     output_config, server_tools and native_blocks. Any other key is refused,
//     so a misspelt nexus.ext.anthropic.* is reported, never ignored; other
//     providers' keys are ignored. The nexus object itself is never sent.
//
// Defaults filled:
//   - max_tokens (required by Anthropic) when MaxTokens is nil, per model
//     family (SPEC §5.5): opus-4 32000, sonnet-4 64000, haiku-4 8192,
//     3.5/3.7 sonnet 8192, 3-opus/3-haiku 4096, anything else 8192, reported
//     as Coercion{"max_tokens", "<n>_model_default"}.
//
// Refused with 400, type nexus_field_unsupported (lossy translation is not hidden):
//   - temperature outside 0..1 (Anthropic's range; OpenAI allows up to 2);
//   - image detail "high" (SPEC §5.5: Anthropic has no high-detail mode);
//   - images or documents Anthropic cannot read: URLs that are neither
//     http(s) nor data: URLs (gs://, provider file URIs), image types other
//     than jpeg/png/gif/webp, documents other than PDF or UTF-8 text;
//   - images/documents in assistant turns, non-text system parts, tool
//     results holding anything but text/images/documents;
//   - tool-call arguments that are not a JSON object (Anthropic replays
//     them as the tool_use input object);
//   - an unknown response_format type or tool_choice mode; unknown
//     nexus.ext.anthropic keys.
//
// Pure hints dropped with Coercion{Field, "removed"}:
//   - seed (Anthropic has no seeded sampling);
//   - reasoning_effort (no portable equivalent; Anthropic reasoning is
//     requested with nexus.ext.anthropic.thinking / output_config.effort);
//   - metadata keys other than user_id (OpenAI dashboard labels; Anthropic
//     rejects unknown metadata keys);
//   - image detail "low" (Anthropic always uses its own resolution);
//   - message name (Anthropic has no per-message author name);
//   - reasoning parts without an Anthropic signature, or signed by another
//     provider ("reasoning"): Anthropic verifies thinking signatures, so
//     another provider's reasoning cannot be replayed; it is history, not an
//     instruction;
//   - frequency_penalty, presence_penalty (no Anthropic equivalent);
//   - other providers' parameters that are pure hints (canonical.Ext.Foreign;
//     the rest, such as OpenAI logprobs or Gemini googleSearch, is refused).
//
// Also refused: audio parts and media given only as another provider's file id.
//
// Reasoning provenance: decoders set Reasoning.Provider ("anthropic" for
// blocks from an Anthropic answer or an untagged request signature); a
// signature another provider issued is shown to Anthropic clients with its
// issuer tag (canonical.ShowSignature) and read back by DecodeRequest.
// AppendRequest encodes into a caller's buffer; text blocks are written by
// hand (request_json.go), the rest with encoding/json.
//
// Other rewrites, reported as coercions:
//   - response_format json_object → an instruction appended to the system
//     prompt asking for one raw JSON object (Coercion{"response_format",
//     "system_instruction"}); Anthropic has no JSON mode switch.
//   - system messages found inside Messages → appended to the system prompt
//     (Coercion{"messages.system", "system"}).
//
// Kept only for Anthropic targets: ResponseFormat json_schema name,
// description and strict are not sent (Anthropic's format takes only the
// schema and always enforces it).
//
// Ignored on decode (no canonical home, no effect on the answer's content):
// citations on text blocks, document context and citations config, tool
// defer_loading / eager_input_streaming / allowed_callers / input_examples.
//
// # Responses (DecodeResponse / EncodeResponse)
//
// Content blocks map as in requests. stop_reason: end_turn and
// stop_sequence → stop (stop_sequence kept in StopSequence), max_tokens and
// model_context_window_exceeded → length, tool_use → tool_calls, refusal →
// refusal, pause_turn → pause. Usage in OpenAI convention (SPEC §5.10):
// InputTokens = input_tokens + cache_read_input_tokens +
// cache_creation_input_tokens; CacheReadTokens, CacheWriteTokens;
// OutputTokens = output_tokens; ReasoningTokens =
// output_tokens_details.thinking_tokens. Server tool blocks ride in
// Ext["anthropic"]["native_blocks"]; stop_details and container in
// Ext["anthropic"] too.
//
// EncodeResponse: the inverse. content_filter → stop_reason "refusal" (not
// the reference's lossy "stop_sequence", SPEC §16.19: current SDKs know
// refusal, and it tells the client the output was withheld). A turn holding
// a tool call always ends as tool_use. Ids keep Anthropic's msg_ form
// (another provider's id gets the prefix); a tool call without an id gets a
// derived toolu_ id. Unsigned reasoning from another provider is shown as a
// thinking block with an empty signature. A part Anthropic responses cannot
// carry (a generated image) fails with 502 instead of vanishing; tool-call
// arguments that are not a JSON object (cut by max_tokens) are shown as {}.
//
// # Streams (StreamDecoder / StreamEncoder)
//
// Decoder: message_start → EventStart + EventUsage (input side);
// content_block_start/delta/stop → BlockStart/Delta/BlockStop, canonical
// indexes counted in open order over the blocks canonical can carry (server
// tool blocks are skipped, together with their deltas); text_delta,
// thinking_delta → Delta; signature_delta → Event.Signature;
// input_json_delta → Delta fragments, and a tool call that got no argument
// text gets "{}" before its BlockStop; message_delta → open blocks closed
// (max_tokens can stop mid tool input without content_block_stop), then an
// EventUsage snapshot (each count replaces the earlier one — message_delta
// usage is cumulative, never summed; input counts it repeats are taken) and
// EventFinish (end_turn with a tool call → tool_calls); message_stop →
// EventEnd; ping → nothing; event error → EventError (overloaded_error →
// rate_limited with status 529, SPEC §9.3); unknown event types → nothing.
// Close appends an upstream_error (502) when neither message_stop nor an
// error event came. Protocol violations return a 502 *canonical.Error and
// end the stream; Close then adds nothing.
//
// Encoder (SPEC §6.3): message_start (real msg_ id, routed model, input-side
// usage) and ping, blocks with contiguous wire indexes in open order,
// message_delta and message_stop on EventEnd (not on EventFinish, so usage
// reported after the finish still lands in message_delta, which repeats the
// input side for SDKs that read it there), one error frame on EventError.
// Image blocks have no streamed Anthropic form and are dropped.
//
// # Errors
//
// DecodeError: error.type first (SPEC §9.3), status second; status, type,
// message and any code are kept; the message is only ever parsed text.
// EncodeError / EncodeStreamError: {"type":"error","error":{"type","message"}}
// with the type by status (400 invalid_request_error, 401
// authentication_error, 403 permission_error, 404 not_found_error, 413
// request_too_large, 429 rate_limit_error, 529 overloaded_error, other 5xx
// api_error), else the error's own Anthropic type, else by Kind; a Hint is
// appended as " (<hint>)"; internal errors show a fixed message.
package anthropic
