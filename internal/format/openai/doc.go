// Package openai is the codec between the OpenAI Chat Completions wire shape
// (OpenAI and every OpenAI-compatible vendor: Azure, DeepSeek, GLM, Moonshot,
// Mistral, OpenRouter, …) and the canonical model. It converts requests,
// responses, stream chunks and errors both ways and imports only
// internal/canonical and the standard library.
//
// # Request mapping (DecodeRequest / EncodeRequest)
//
//	wire                                   canonical
//	model                                  Model (EncodeRequest writes upstreamModel)
//	leading system/developer messages      System (text parts, in order); developer is read as system
//	later system/developer messages        Message{RoleSystem}
//	user content string | parts            Message{RoleUser}: text, image_url → PartImage
//	                                       (data: URL → Media.Data+MIMEType, else Media.URL; detail → Media.Detail),
//	                                       input_audio → PartAudio (wav/mp3), file → PartDocument
//	                                       (file_data → Data, file_id → Media.FileID, filename → Media.Title)
//	assistant reasoning_content|reasoning  PartReasoning (first), then content text, refusal → PartRefusal,
//	                                       tool_calls → PartToolCall (arguments as JSON text; "" → "{}")
//	Mistral {"type":"thinking"} parts      PartReasoning
//	tool messages                          Message{RoleTool} with one PartToolResult each; consecutive
//	                                       tool messages merge into one message; ToolResult.Name is
//	                                       filled from the assistant call with that id
//	part cache_control {type,ttl}          Part.CacheControl / CacheTTL (OpenRouter-style markers)
//	tools[].function                       Tools (name, description, parameters, strict)
//	tool_choice auto|none|required|{function}  ToolChoice auto|none|required|tool(name)
//	parallel_tool_calls                    ParallelToolCalls
//	response_format text|json_object|json_schema{name,description,schema,strict}  ResponseFormat
//	max_completion_tokens, else max_tokens MaxTokens (the newer name wins)
//	temperature, top_p, top_k, seed        Temperature, TopP, TopK, Seed
//	frequency_penalty, presence_penalty    FrequencyPenalty, PresencePenalty
//	stop string | array                    Stop
//	reasoning_effort, user, metadata       ReasoningEffort, User, Metadata
//	stream, stream_options.include_usage   Stream, IncludeUsage
//	nexus.ext.<provider>.<key>             Ext[provider][key]
//	logit_bias, logprobs, top_logprobs, service_tier, store, prediction, modalities, audio,
//	web_search_options, verbosity, prompt_cache_key, safety_identifier, thinking (GLM/DeepSeek)
//	                                       Ext["openai"][key] (lifted: no canonical home; the
//	                                       top-level member wins over nexus.ext.openai.<key>)
//
// EncodeRequest writes the reverse, with these choices:
//   - each System part becomes its own system message with string content
//     (every compatible server accepts that; not all take arrays);
//   - assistant text parts are joined into one content string; plain
//     reasoning parts (no signature/redaction/encrypted data) are replayed as
//     reasoning_content, which GLM and DeepSeek need on tool-call turns;
//   - tool results become one tool message per result, wherever they sit;
//   - max_tokens carries MaxTokens: it is what compatible servers accept, and
//     the provider adapter applies the per-model max_completion_tokens quirk
//     (SPEC §5.6);
//   - a streaming request always sends stream_options.include_usage:true
//     (the gateway needs usage even when the client did not ask, SPEC §6.7);
//   - Ext["openai"] members are spliced in, sorted by key, except names the
//     encoder owns (model, messages, …) and "responses" (Responses-API state);
//   - json_schema without a name gets the name "response" (OpenAI requires one);
//   - parallel_tool_calls and an auto/none tool_choice are left out when no
//     tools are declared (OpenAI rejects them alone and they mean nothing).
//
// # Refused (400, type nexus_field_unsupported)
//
// DecodeRequest refuses what the canonical model cannot carry: n > 1 (the
// canonical response is single-choice), legacy functions/function_call and the
// function role, non-function tools and tool calls (custom, web search, …),
// tool_choice objects other than a function (allowed_tools), and unknown
// content part types. Malformed JSON and wrong types are 400
// invalid_request_error with Param set to the JSON path (messages[2].content).
//
// EncodeRequest refuses: images given as a provider file id or a non-http(s)
// URL (gs://, file URIs), image bytes without a MIME type; audio other than
// wav/mp3 or given by URL; documents that are not PDF bytes or an OpenAI file
// id; non-text system parts; images, audio or documents in assistant messages
// or tool results (OpenAI tool messages hold text only); a forced tool_choice
// (required or named) with no tools; json_schema output without a schema.
//
// # Dropped as hints (Coercion{Field, "removed"})
//
//   - top_k: OpenAI has no top-k sampling.
//   - cache_control: OpenAI caches prompts automatically.
//   - reasoning: signed (Anthropic/Gemini), redacted, encrypted or summary
//     reasoning belongs to the provider that produced it and cannot be
//     replayed elsewhere.
//   - thought_signature: Gemini's signature on a function call.
//   - tool_result.is_error: OpenAI tool messages have no error flag; the
//     result text is kept.
//
// Ext["openai"] holds OpenAI-family-only parameters. Encoders of other shapes
// remove the hints among them and refuse the rest (canonical.Ext.Foreign);
// this encoder does the same with Anthropic and Gemini parameters.
//
// DecodeRequest walks "messages" by hand (fastdecode.go) and leaves the rest
// of the body to encoding/json; anything unusual falls back to decoding the
// whole body with encoding/json, so results and errors are the same.
//
// # Responses, streams, errors
//
// DecodeResponse reads choice 0; usage per SPEC §5.10 (cached tokens from
// prompt_tokens_details.cached_tokens or the DeepSeek prompt_cache_hit_tokens /
// Moonshot prompt_cache_tokens / cached_tokens aliases, reasoning from
// completion_tokens_details); service_tier and system_fingerprint ride in
// Response.Ext["openai"]. Finish reasons: function_call → tool_calls, GLM
// sensitive → content_filter, max_tokens/model_length → length, OpenRouter
// "error" and GLM "network_error" → a 502 error; unknown → stop. A turn that
// called tools finishes as tool_calls even when the upstream said stop; a
// turn holding refusal text that said stop is FinishRefusal (other shapes
// show a refusal). EncodeResponse writes refusal text in message.refusal,
// FinishRefusal as stop when that text is shown and as content_filter when
// there is none (Anthropic's refusal); it fails with 502 on content chat
// completions cannot show.
//
// StreamDecoder makes blocks out of runs of one delta kind, holds Finish until
// [DONE] so usage (which OpenAI sends after the finish chunk) precedes it,
// skips choice-less frames (Azure prompt_filter_results), keeps the first of
// repeated finish_reasons, and turns {"error":…} frames into EventError (an
// error after a finish_reason only contributes its usage). EOF after a
// finish_reason but without [DONE] completes the turn; EOF before one is an
// upstream_error 502.
//
// StreamEncoder writes the SPEC §6.2 grammar: a first chunk with role and
// empty content, content / reasoning_content / refusal deltas, tool-call
// headers (index, id, type, name, empty arguments) then argument fragments,
// "{}" for a call that got no arguments, the finish chunk, the usage chunk
// (choices:[]) when IncludeUsage, then [DONE]. After an EventError it writes
// the one error frame and no [DONE].
//
// EncodeError uses {"error":{message,type,param,code,hint?}}: code is the
// gateway or upstream code, or the numeric status when there is none; type
// is kept when it is OpenAI vocabulary or a gateway type
// (nexus_field_unsupported, …), otherwise derived from status and kind
// (401 authentication_error, 403 permission_error, 404 not_found_error,
// 413 request_too_large, 429 rate_limit_error, 408/504 timeout_error,
// invalid requests invalid_request_error, else api_error). DecodeError is
// status-driven (SPEC §9.3) and reads RetryAfter from "try again in 1.5s" /
// "retry after 86400 seconds" in the message.
package openai
