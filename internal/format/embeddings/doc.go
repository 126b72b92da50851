// Package embeddings is the codec between the embeddings wires and the
// canonical EmbeddingRequest / EmbeddingResponse: the OpenAI /v1/embeddings
// shape (OpenAI, Azure OpenAI, GLM and every OpenAI-compatible vendor) and
// Gemini's :embedContent / :batchEmbedContents. One package covers both
// because each wire is small; error bodies are the chat codecs' envelopes,
// so DecodeOpenAIError, EncodeOpenAIError and DecodeGeminiError call
// format/openai and format/gemini rather than repeat them.
//
// # OpenAI requests (DecodeOpenAIRequest / EncodeOpenAIRequest)
//
//	wire                                  canonical
//	model                                 Model (EncodeOpenAIRequest writes upstreamModel)
//	input "text" | ["a","b"]              Inputs (a lone string is a one-element list)
//	input [1,2,3] | [[1,2],[3]]           Tokens (a lone token array is a one-element list)
//	dimensions (integer ≥ 1)              Dimensions
//	encoding_format float|base64          EncodingFormat (what the caller wants back)
//	user                                  User
//	nexus.ext.<provider>.<key>            Ext[provider][key]
//	any other top-level member            Ext["openai"][member] (vendor extras such as
//	                                      Mistral output_dtype; the top-level member wins
//	                                      over a nexus.ext.openai copy)
//
// Decode refuses with 400 invalid_request_error (Param = the member): a body
// that is not an object, a missing or empty input, mixed or mistyped input
// arrays, negative token ids, dimensions that are not a positive integer,
// an encoding_format other than float/base64. Encode always sends input as
// an array, forwards encoding_format as the caller asked, splices
// Ext["openai"] members sorted by key and never sends the nexus object.
//
// # OpenAI responses (DecodeOpenAIResponse / EncodeOpenAIResponse)
//
// Vectors are float32 end to end: base64 embeddings are little-endian
// float32 bytes, and float arrays are read by rounding each decimal once to
// the nearest float32 and written in the shortest decimal that reads back
// as the same float32. So a client asking base64 can be served from a float
// upstream and the other way round, and the values it decodes equal the
// upstream's at float32 precision. Decode accepts either form per vector
// whatever was asked, places vectors by index, and checks the count against
// the request. Missing usage (some compatible servers) is estimated and
// flagged UsageEstimated. Non-finite values, bad base64, byte counts that
// are not whole float32s, repeated or out-of-range indexes: 502.
//
// # Gemini (EncodeGeminiRequest / DecodeGeminiResponse)
//
//	canonical                             Gemini
//	Inputs (one)                          :embedContent {model, content.parts[0].text, …}
//	Inputs (several, or Ext batch:true)   :batchEmbedContents {requests:[… one per input …]}
//	Dimensions                            outputDimensionality
//	Ext["gemini"]["taskType"], ["title"]  taskType, title (on every request)
//	User                                  dropped, coercion "user->removed"
//	Tokens                                400 nexus_field_unsupported
//	EncodingFormat                        not sent (Gemini answers floats)
//
// Gemini answers embedding.values / embeddings[].values and no token usage:
// InputTokens is then EstimateInputTokens — UTF-8 bytes / 4 per input,
// rounded up — with UsageEstimated set (SPEC §11.8, audit status
// "estimated"). Vertex's statistics.tokenCount, when every vector has one,
// is used instead. The answer names no model; Model is the request's.
package embeddings
