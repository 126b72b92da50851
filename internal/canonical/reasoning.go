package canonical

import (
	"bytes"
	"strings"
)

// Reasoning signatures are opaque tokens only the provider that issued them
// can verify: Anthropic rejects a thinking block signed by Gemini, and
// Gemini a thoughtSignature minted by Anthropic. A signature shown to a
// client of another wire shape (an Anthropic answer to a Gemini client)
// comes back in that shape's field on the next turn, where nothing says
// who issued it. So when a signature crosses shapes it is shown with a
// short provenance tag in front, and the request decoder reads the tag back
// into Reasoning.Provider. The tags are 8 base64 characters (6 bytes), so a
// tagged signature is still valid standard base64: the genai SDK decodes
// thoughtSignature into bytes and re-encodes it unchanged.
const (
	sigTagAnthropic = "bnhzYW50" // base64("nxsant")
	sigTagGemini    = "bnhzZ2Vt" // base64("nxsgem")
)

func sigTag(provider string) string {
	switch provider {
	case "anthropic":
		return sigTagAnthropic
	case "gemini":
		return sigTagGemini
	}
	return ""
}

// ShowSignature returns the signature to write for a client of wire family
// shape: as is when the same family issued it (or the issuer is unknown),
// tagged with the issuer otherwise.
func ShowSignature(shape, provider, sig string) string {
	if sig == "" || provider == "" || provider == shape {
		return sig
	}
	if tag := sigTag(provider); tag != "" {
		return tag + sig
	}
	return sig
}

// ReadSignature splits a signature received from a client of wire family
// shape into its issuer and the issuer's own signature: a tagged one names
// its provider, an untagged one is taken to be shape's own.
func ReadSignature(shape, sig string) (provider, raw string) {
	if sig == "" {
		return "", ""
	}
	for _, p := range [...]string{"anthropic", "gemini"} {
		if p == shape {
			continue
		}
		if rest, ok := strings.CutPrefix(sig, sigTag(p)); ok && rest != "" {
			return p, rest
		}
	}
	return shape, sig
}

// ReplayableBy reports whether a reasoning part's signature or opaque data
// may be sent to a provider of wire family target: only its issuer (or an
// unknown issuer, which is left to the provider to judge) verifies it.
func (r *Reasoning) ReplayableBy(target string) bool {
	return r == nil || r.Provider == "" || r.Provider == target
}

// CarriesForeignSignature reports whether a request body of wire family
// shape holds a signature tagged as another provider's. The same-shape byte
// path would forward it to a provider that cannot verify it (a conversation
// that moved from a Gemini model to an Anthropic one), so adapters translate
// such a body instead, which drops the foreign signature. A tag opens a JSON
// string; a plain search is cheap next to the request itself.
func CarriesForeignSignature(body []byte, shape string) bool {
	if shape != "anthropic" && bytes.Contains(body, []byte(`"`+sigTagAnthropic)) {
		return true
	}
	return shape != "gemini" && bytes.Contains(body, []byte(`"`+sigTagGemini))
}
