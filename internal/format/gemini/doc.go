// Package gemini converts the Gemini generateContent wire shape to and from
// the canonical model: requests, responses, stream frames (SSE data frames
// and the JSON-array form) and errors. It imports only internal/canonical
// and the standard library.
//
// # Requests (DecodeRequest / EncodeRequest)
//
// The model and the stream flag live in the URL, never in the body: decode
// leaves Model/Stream unset, encode ignores upstreamModel for the body and
// uses it only for model-dependent mappings (below). Decode accepts both
// lowerCamel and snake_case field names and a lone object where a list is
// expected (proto JSON accepts both; Google's curl examples use them).
//
//	systemInstruction.parts[].text      ↔ System (text only; other parts: 400)
//	contents[].role user|model          ↔ RoleUser|RoleAssistant ("function" read as user)
//	text                                ↔ PartText (+ thoughtSignature ↔ Part.ThoughtSignature)
//	text + thought:true                 ↔ PartReasoning (+ thoughtSignature ↔ Reasoning.Signature)
//	inlineData{mimeType,data}           ↔ PartImage | PartAudio | PartDocument by MIME, Media.Data
//	                                       (standard or URL-safe base64 read; standard written)
//	fileData{mimeType,fileUri}          ↔ same part types, Media.URL; data: URLs are sent as inlineData
//	functionCall{id?,name,args}         ↔ PartToolCall, Arguments = args JSON text, thoughtSignature kept
//	functionResponse{id?,name,response} ↔ RoleTool message, PartToolResult with one text part = response JSON
//	tools[].functionDeclarations        ↔ Tools (parameters → JSON Schema: types lower-cased,
//	                                       nullable folded; parametersJsonSchema kept; encode
//	                                       always writes parametersJsonSchema)
//	toolConfig.functionCallingConfig    ↔ ToolChoice: AUTO auto, NONE none, ANY required,
//	                                       ANY+[one name] tool (none never becomes auto)
//	generationConfig.temperature/topP/topK/maxOutputTokens/stopSequences/seed/
//	presencePenalty/frequencyPenalty    ↔ the canonical sampling fields
//	responseMimeType application/json   ↔ ResponseFormat json_object; with responseSchema
//	                                       or responseJsonSchema ↔ json_schema holding the
//	                                       inner schema only (SPEC §16.30); encode writes
//	                                       responseJsonSchema; text/plain ↔ text
//	thinkingConfig                      ↔ Ext["gemini"]["thinking_config"] (also mapped to
//	                                       ReasoningEffort: level as is; budget 0 minimal,
//	                                       ≤1024 low, ≤8192 medium, more high)
//	safetySettings                      ↔ Ext["gemini"]["safety_settings"]
//	cachedContent                       ↔ Ext["gemini"]["cached_content"]
//	other tool kinds (googleSearch…)    ↔ Ext["gemini"]["tools"] (raw array, appended on encode)
//	toolConfig ToolChoice cannot say    ↔ Ext["gemini"]["tool_config"] (VALIDATED, ANY over a
//	                                       strict subset of several tools, retrievalConfig);
//	                                       sent verbatim and wins over ToolChoice
//	other generationConfig keys         ↔ Ext["gemini"]["generation_config"] (responseModalities,
//	                                       mediaResolution, …); added unless a canonical field set them
//	"nexus":{"ext":{…}}                 → Ext (native Gemini fields win over a nexus.ext copy)
//
// Encode applies Ext["gemini"]["thinking_config"] with snake_case keys
// converted to lowerCamel (thinking_budget → thinkingBudget, include_thoughts
// → includeThoughts, thinking_level → thinkingLevel). Without it,
// ReasoningEffort becomes thinkingLevel for Gemini 3+ models and
// thinkingBudget for 2.5 (minimal 512, low 1024, medium 8192, high 24576),
// each recorded as a coercion; older or unknown models drop it
// ("reasoning_effort->removed"). The nexus key is never sent.
//
// Tool-call ids: Gemini often omits functionCall.id. Decoders synthesize
// stable ids "call_gm_<response id or t<turn>>_<n>", pair id-less
// functionResponses with calls by name and order, and encoders leave ids
// with that prefix out of the Gemini wire, so Google sees what it produced.
// Gemini's own ids are kept. A functionResponse needs the function name:
// ToolResult.Name, else the name of the earlier call with the same id, else
// 400. Result text that is a JSON object is sent as the response itself;
// other text as {"result": text}, or {"error": text} for error results.
// Tool results next to each other (and a user message beside them) share
// one user turn, as Gemini wants every response to a parallel call together.
// For Gemini 3+ targets, a model turn whose function calls carry no thought
// signature (history from another model) gets Google's documented
// placeholder "skip_thought_signature_validator" on its first call
// (coercion "thought_signature->skip_thought_signature_validator").
//
// Refused with 400 nexus_field_unsupported (the field cannot be honoured):
// image detail "high"; system text that is not leading, or non-text system
// parts; tool results with non-text content; a tool result whose function
// name cannot be resolved; media given only as another provider's file id.
// DecodeRequest refuses candidateCount > 1 (the gateway returns one
// candidate) and code-execution parts (executableCode, codeExecutionResult).
//
// Dropped as hints, each reported as a Coercion ("<field>->removed"): user,
// metadata, parallel_tool_calls=false (Gemini has no switch), tools.strict
// (Gemini validates calls against the schema anyway), image detail "low",
// document title, message name, cache_control markers (Gemini caching is
// explicit cachedContent), reasoning parts that are only another
// provider's opaque payload (redacted / encrypted), reasoning signed by
// another provider ("reasoning_signature->removed", the thought text is
// kept), and other providers' parameters that are pure hints
// (canonical.Ext.Foreign; the rest is refused). Tool-call arguments
// that are not a JSON object are sent as {"_raw": text}
// ("tool_calls.arguments->wrapped_raw") so the conversation can go on.
// Dropped without a coercion (no behaviour attached): response_format
// name/description/strict, Stream, IncludeUsage. No defaults are filled:
// maxOutputTokens is optional for Gemini.
//
// # Responses
//
// candidates[0] only. finishReason: STOP/OTHER/"" stop, MAX_TOKENS length,
// SAFETY/RECITATION/LANGUAGE/PROHIBITED_CONTENT/SPII/BLOCKLIST/IMAGE_SAFETY/
// MODEL_ARMOR content_filter, MALFORMED_FUNCTION_CALL/UNEXPECTED_TOOL_CALL
// tool_calls, and a STOP turn with a functionCall tool_calls. Encode: stop
// and tool_calls STOP, length MAX_TOKENS, content_filter and refusal SAFETY,
// pause STOP. A prompt blocked by promptFeedback is content_filter with no
// content. The exact wire reason / block reason is kept in Response.Ext so a
// Gemini client of a Gemini upstream gets it back. Usage (SPEC §5.10):
// InputTokens = promptTokenCount, OutputTokens = candidatesTokenCount +
// thoughtsTokenCount, CacheReadTokens = cachedContentTokenCount,
// ReasoningTokens = thoughtsTokenCount. Code-execution parts in a response
// are skipped.
//
// # Streams
//
// StreamDecoder and StreamEncoder are documented on their types; the
// JSON-array form is split by DecodeArrayStream and written by ArrayWriter.
// Text parts on a text block may carry a signature in Event.Signature.
// DecodeStray reads the bare JSON error object Gemini sends after the data
// frames when a stream fails mid-way. Reasoning blocks carry
// Reasoning.Provider "gemini"; an Anthropic signature is shown tagged
// (canonical.ShowSignature) and read back by DecodeRequest.
//
// # Errors
//
// DecodeError classifies by google.rpc status (API_KEY_INVALID, which Google
// sends as 400 INVALID_ARGUMENT, is an auth failure), keeps Status, Type =
// status name, Code = ErrorInfo.reason, RetryAfter = RetryInfo.retryDelay.
// EncodeError writes {"error":{"code","message","status","details"}}, with
// the status name from the HTTP status (StatusName; Anthropic's 529
// overloaded is UNAVAILABLE, Google's name for an overload) and the gateway
// code as an ErrorInfo reason.
package gemini
