package provider

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestIndexSecretMatchesBytesIndex(t *testing.T) {
	keys := []string{"sk-proj-AbCdEf0123456789", "abcd", "sk-aaaa", "----", "QQQQ", "nvk_x9"}
	hays := []string{
		"", "sk-", `data: {"x":"sk-proj-AbCdEf0123456789"}`, "sk-proj-AbCdEf0123456789",
		"xxsk-proj-AbCdEf012345678", "abcabcd", "sk-aaasksk-aaaa", "-----", "QQQ QQQQ", "nvk_x nvk_x9",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(40) {
			sb.WriteByte("sk-aQbcd0_"[r.IntN(10)])
		}
		hays = append(hays, sb.String())
	}
	for _, k := range keys {
		for _, h := range hays {
			if got, want := indexSecret([]byte(h), k), bytes.Index([]byte(h), []byte(k)); got != want {
				t.Fatalf("indexSecret(%q, %q) = %d, want %d", h, k, got, want)
			}
		}
	}
}

func TestScrubReplacesEveryCopy(t *testing.T) {
	out := Scrub([]byte(`{"error":"bad key sk-proj-AbC123 (sk-proj-AbC123)"}`), Secret("sk-proj-AbC123"))
	if string(out) != `{"error":"bad key [redacted] ([redacted])"}` {
		t.Fatalf("scrubbed = %s", out)
	}
}

// BenchmarkScrubBatch: the relay scrubs every batch of frames it hands on;
// a batch that holds no key should cost an IndexByte sweep.
func BenchmarkScrubBatch(b *testing.B) {
	frame := `data: {"id":"chatcmpl-CoDWtmOB2DZI2l0bK84UVJEMpo63W","object":"chat.completion.chunk","created":1766084443,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_deacdd5f6f","choices":[{"index":0,"delta":{"content":" is"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"pGvLg8y5GtHgC"}` + "\n\n"
	batch := []byte(strings.Repeat(frame, 50))
	key := Secret("sk-proj-Tq3vR8mN2pL5xK9wB7cF1hJ4gD6sA0zE")
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		if out := Scrub(batch, key); len(out) != len(batch) {
			b.Fatal("changed")
		}
	}
}
