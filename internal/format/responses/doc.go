// Package responses is the codec between the OpenAI Responses API wire shape
// (POST /v1/responses, SPEC §5.8, §6.4) and the canonical model. It serves
// the Responses ingress in three situations:
//
//   - the target serves Responses natively: the body is relayed verbatim and
//     the answer too; ClassifyBody / ClassifyFrame check that the answer
//     really is a Responses object or response.* events (SPEC §5.8 "content
//     decides"), ReadUsage reads a relayed unary answer's usage, and a Tee
//     follows a relayed stream for its usage, its end and its sequence
//     numbers (Tee.Position, EncodeStreamErrorAt) without decoding deltas;
//   - the target answers in chat form, or the request is downgraded to a
//     chat target: Guard, then DecodeRequest to canonical; the chat answer
//     comes back as canonical and EncodeResponse / StreamEncoder render it
//     as a Responses object or event stream;
//   - a stage needs the canonical form of a request bound for a native
//     target: DecodeRequest keeps what the pivot cannot type and
//     EncodeRequest puts it back, so nothing is lost on the way.
//
// It imports only internal/canonical and the standard library.
//
// # Request mapping (DecodeRequest / EncodeRequest)
//
//	wire                                    canonical
//	model                                   Model (EncodeRequest writes upstreamModel)
//	instructions                            System (one text part); EncodeRequest joins System
//	                                        parts with a blank line
//	input string                            one user message
//	input message items, role user          Message{RoleUser}: input_text → text, input_image →
//	                                        image (data: URL → bytes, else URL; file_id; detail),
//	                                        input_file → document (file_data, file_id, file_url, filename)
//	role system | developer                 Message{RoleSystem} in place (EncodeRequest: developer)
//	assistant message, reasoning and        one Message{RoleAssistant} per turn, parts in item order:
//	function_call items in a row            output_text → text, refusal → refusal, reasoning
//	                                        summary_text → reasoning (Summary), reasoning_text →
//	                                        reasoning, encrypted_content → Reasoning.Data (first part),
//	                                        function_call → tool call (call_id, name, arguments)
//	function_call_output items in a row     one Message{RoleTool}, a tool result each (output string
//	                                        or input_text / input_image / input_file parts);
//	                                        ToolResult.Name from the call with that call_id
//	max_output_tokens                       MaxTokens (the chat codec sends max_tokens, and its
//	                                        gpt-5/o-series quirk renames it max_completion_tokens)
//	temperature, top_p, parallel_tool_calls Temperature, TopP, ParallelToolCalls
//	metadata, user, stream                  Metadata, User, Stream (IncludeUsage = stream: a
//	                                        Responses stream always ends with usage)
//	reasoning.effort                        ReasoningEffort
//	text.format text|json_object|json_schema{name,description,schema,strict}  ResponseFormat
//	text.verbosity                          Ext["openai"]["verbosity"] (the chat wire's name)
//	tools[] type function                   Tools (name, description, parameters, strict)
//	tool_choice auto|none|required|{type:function,name}  ToolChoice
//	service_tier, prompt_cache_key,         Ext["openai"][same name]: the chat codec sends them on
//	safety_identifier                       to an OpenAI-family target
//	nexus.ext.<provider>.<key>              Ext[provider][key]
//	everything else                         Ext["openai"]["responses"] (see ext.go): previous_response_id,
//	                                        store, truncation, include, background, conversation,
//	                                        prompt, max_tool_calls, top_logprobs, stream_options,
//	                                        the rest of reasoning and text, built-in tools (with
//	                                        their index), a non-function tool_choice, native input
//	                                        items (with their position), item ids and other item
//	                                        members, content-part annotations, unknown members
//
// The chat codec never sends Ext["openai"]["responses"] upstream, so in a
// downgrade all of that is dropped — which is why Guard must pass first.
// EncodeRequest writes the reverse, with these choices: a single text part
// is written as string content; system messages get role developer; an
// assistant message that came with an id is replayed in output-message form
// (content output_text / refusal parts, status), any other as string
// content; reasoning is replayed only as the items it was read from (a
// Responses reasoning item needs its id); function tools without a strict
// flag are sent strict:false (Responses would otherwise make them strict);
// a document sent as bytes gets a filename ("document.pdf") when it has
// none, because OpenAI requires one.
//
// # What the downgrade refuses (Guard) and why
//
// Guard answers 400 {"error":{"type":"unsupported_feature","message",
// "param":"<JSON path>","code":"feature_requires_native_responses_target"}}
// for every feature a chat target would silently lose: previous_response_id
// and conversation (context stored at OpenAI), store:true and
// background:true (OpenAI keeps the response), truncation other than
// "disabled" (server-side truncation), prompt (a stored template),
// non-function tools (web_search, file_search, computer_use_preview,
// image_generation, mcp, code_interpreter, custom, apply_patch, tool_search,
// function_shell, … — OpenAI runs them, a chat model cannot), a tool_choice
// naming one of them or allowed_tools, and input items or message parts the
// pivot cannot carry (item_reference, built-in tool calls and outputs,
// compaction, …). SPEC §5.8 lists the first four; the rest are refused for
// the same reason: the answer would silently differ.
//
// # Refused by the codec (400)
//
// DecodeRequest refuses malformed JSON and wrong types (invalid_request_error,
// Param the JSON path) and function_call_output parts with no canonical
// form (nexus_field_unsupported). EncodeRequest refuses (nexus_field_unsupported)
// stop sequences (Responses has none, and they change the answer), audio
// input, non-text system parts, media the wire cannot reference (non-http
// URLs, image bytes without a MIME type), parts a turn cannot hold, a
// forced tool_choice without tools, json_schema output without a schema.
// It drops, as coercions, top_k, seed, frequency_penalty, presence_penalty,
// cache_control, thought_signature, tool_result.is_error, message names,
// reasoning that did not come from a Responses item ("reasoning->removed")
// and the refusal flag of an assistant message it replays as text.
//
// # Responses (DecodeResponse / EncodeResponse)
//
// Output items map as in requests; built-in tool items (web_search_call, …),
// item ids, phase, annotations and logprobs and every request-echo member
// are kept in Ext["openai"]["responses"] and put back by EncodeResponse;
// service_tier is Ext["openai"]["service_tier"] as the chat codec keeps it.
// Status: completed → stop, or tool_calls when a function_call was output,
// or refusal when the answer is a refusal part (as the chat codec reads one);
// incomplete → length (max_output_tokens) or content_filter; failed → a
// *canonical.Error from response.error. EncodeResponse derives status and
// incomplete_details from the finish reason (SPEC §6.6: length →
// incomplete/max_output_tokens, content_filter → incomplete/content_filter,
// anything else completed — a refusal too, as OpenAI's Responses API reports
// a model refusal: completed, with a refusal part), marks a message that
// is the last item of an incomplete response incomplete, and writes usage
// with both detail blocks (cached_tokens, reasoning_tokens) always present:
// the Responses API always sends them and strict clients require them. Ids:
// an upstream resp_ id is kept, another upstream's id prefixed
// ("resp_chatcmpl-…", traceable), none derived from the content; item ids
// are msg_/rs_/fc_<response id>_<output index> unless kept. All reasoning
// text is shown as summary_text (SPEC §6.4's grammar), encrypted content as
// encrypted_content, redacted reasoning of other providers not at all. A
// translated answer has no upstream object to echo request members from, so
// it shows the values of a stateless request with defaults (store false,
// tools [], tool_choice "auto", …).
//
// # Streams
//
// StreamEncoder writes the grammar of SPEC §6.4 with the done events OpenAI
// sends too (output_text.done, refusal.done, reasoning_summary_text.done):
// response.created, response.in_progress, then per output item
// output_item.added, content_part.added / reasoning_summary_part.added,
// deltas, the done events and output_item.done, then response.completed or
// response.incomplete with the full response object. sequence_number starts
// at 0 and increases by one per frame. Runs of text blocks share one message
// item (a content part each), runs of reasoning blocks one reasoning item (a
// summary part each); each tool call is a function_call item ("{}" when it
// got no arguments). Items close when an item of another kind opens or at
// EventEnd; the terminal frame is written at EventEnd so usage sent after
// the finish still makes it. EventError — or ErrorFrame, when ingress fails
// outside the event flow — writes the one response.failed frame of SPEC §6.8
// with the next sequence number; EncodeStreamError is that frame for a
// stream that sent nothing (sequence_number 0), EncodeStreamErrorAt for a
// relayed stream at Tee.Position (or StreamDecoder.Position).
//
// StreamDecoder reads response.* events (for the canonical lane: policy
// stages, or a stream ClassifyFrame could not place): each content part,
// summary part and function call is a canonical block; *.done events only
// supply text when no delta did, and items that arrive whole
// (output_item.done, or only the final response object) are read from there.
// response.completed / response.incomplete give Usage, Finish, End;
// response.failed and error events give EventError. Built-in tool events and
// encrypted reasoning are not carried (SPEC §5.8 accepts the loss on the
// canonical lane). EOF or [DONE] before a terminal event is an
// upstream_error 502.
//
// # Errors
//
// EncodeError writes {"error":{"message","type","code"?,"param"?,"hint"?}}
// (SPEC §9.1): type is kept when it is OpenAI vocabulary or a gateway type
// (unsupported_feature, nexus_field_unsupported, …), else derived from
// status and kind as SPEC §9.2's OpenAI/Responses column. DecodeError is
// status-driven (SPEC §9.3), keeps the upstream type, code and param, and
// reads a retry delay from the message. A failed response's error.code is
// always set (the error's code, else rate_limit_exceeded or server_error).
package responses
