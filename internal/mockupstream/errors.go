package mockupstream

import (
	"net/http"
	"strconv"
)

// Error bodies follow the shapes recorded in shared/fixtures/errors:
//   OpenAI    {"error":{"message","type","param","code"}}
//   Anthropic {"type":"error","error":{"type","message"},"request_id"}
//   Gemini    {"error":{"code","message","status","details"?}}
// An empty msg picks the provider's usual wording for the status.

// writeError answers status in the route family's error envelope.
func (s *Server) writeError(x *exchange, status int, msg string) {
	model := ""
	if x.rt.family == famGemini {
		model = x.rt.model
	} else if x.body != nil {
		model, _ = jsonString(field(x.body, "model"))
	}
	f := s.getFrames()
	defer s.putFrames(f)
	switch x.rt.family {
	case famAnthropic:
		f.buf = appendAnthropicError(f.buf, status, msg, model, x.seq)
	case famGemini:
		f.buf = appendGeminiError(f.buf, status, msg, model, x.ctl.retryAfter)
	default:
		f.buf = appendOpenAIError(f.buf, status, msg, model, x.ctl.retryAfter)
	}
	ct := "application/json"
	if x.rt.family == famGemini {
		ct = "application/json; charset=UTF-8"
	}
	s.writeBody(x, status, ct, f.buf)
}

func appendOpenAIError(dst []byte, status int, msg, model string, retryAfter int) []byte {
	typ, code := "invalid_request_error", ""
	switch {
	case status == http.StatusUnauthorized:
		code = "invalid_api_key"
		if msg == "" {
			msg = "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
		}
	case status == http.StatusNotFound && msg == "":
		code = "model_not_found"
		msg = "The model `" + model + "` does not exist or you do not have access to it."
	case status == http.StatusTooManyRequests:
		typ, code = "requests", "rate_limit_exceeded"
		if msg == "" {
			wait := max(retryAfter, 1)
			msg = "Rate limit reached for " + model + " in organization org-nexusmock on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in " + strconv.Itoa(wait) + "s. Visit https://platform.openai.com/account/rate-limits to learn more."
		}
	case status == http.StatusServiceUnavailable:
		typ = "server_error"
		if msg == "" {
			msg = "The engine is currently overloaded, please try again later."
		}
	case status >= 500:
		typ = "server_error"
		if msg == "" {
			msg = "The server had an error while processing your request. Sorry about that!"
		}
	}
	if msg == "" {
		msg = "Mock upstream answered " + strconv.Itoa(status) + " " + http.StatusText(status) + " as requested."
	}
	dst = append(dst, `{"error":{"message":`...)
	dst = appendJSONString(dst, msg)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"param":null,"code":`...)
	if code == "" {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, code)
	}
	return append(dst, "}}"...)
}

func anthropicErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

func appendAnthropicError(dst []byte, status int, msg, model string, seq int64) []byte {
	typ := anthropicErrorType(status)
	if msg == "" {
		switch typ {
		case "authentication_error":
			msg = "invalid x-api-key"
		case "permission_error":
			msg = "Your API key does not have permission to use the specified resource."
		case "not_found_error":
			msg = "model: " + model
		case "rate_limit_error":
			msg = "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later."
		case "overloaded_error":
			msg = "Overloaded"
		case "api_error":
			msg = "Internal server error"
		case "request_too_large":
			msg = "Request exceeds the maximum allowed number of bytes."
		default:
			msg = "Mock upstream answered " + strconv.Itoa(status) + " " + http.StatusText(status) + " as requested."
		}
	}
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = appendJSONString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, msg)
	dst = append(dst, `},"request_id":`...)
	dst = appendQuotedID(dst, "req_", seq)
	return append(dst, '}')
}

// geminiStatus maps HTTP status to the google.rpc.Code name Google sends.
func geminiStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ALREADY_EXISTS"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case http.StatusInternalServerError:
		return "INTERNAL"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	return "UNKNOWN"
}

func appendGeminiError(dst []byte, status int, msg, model string, retryAfter int) []byte {
	gs := geminiStatus(status)
	if msg == "" {
		switch gs {
		case "NOT_FOUND":
			msg = "models/" + model + " is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
		case "RESOURCE_EXHAUSTED":
			msg = "You exceeded your current quota, please check your plan and billing details."
		case "UNAVAILABLE":
			msg = "The model is overloaded. Please try again later."
		case "INTERNAL":
			msg = "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
		case "INVALID_ARGUMENT":
			msg = "Request contains an invalid argument."
		default:
			msg = "Mock upstream answered " + strconv.Itoa(status) + " " + http.StatusText(status) + " as requested."
		}
	}
	dst = append(dst, `{"error":{"code":`...)
	dst = appendInt(dst, status)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, msg)
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, gs)
	if status == http.StatusTooManyRequests {
		// Like the recorded 429 (errors/gemini-429-resource-exhausted-
		// retryinfo): a QuotaFailure and a RetryInfo clients back off on.
		delay := retryAfter
		if delay < 0 {
			delay = 30
		}
		dst = append(dst, `,"details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"`...)
		dst = appendInt(dst, delay)
		dst = append(dst, `s"}]`...)
	}
	return append(dst, "}}"...)
}
