package provider

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// fakeTap ends on a frame whose data is "END" and says at EOF whether the
// stream was complete, with an optional tail frame.
type fakeTap struct {
	complete bool
	tail     []byte
}

func (f *fakeTap) Observe(ev sse.Event) bool { return string(ev.Data) == "END" }
func (f *fakeTap) AtEOF() ([]byte, bool)     { return f.tail, f.complete }
func (f *fakeTap) Usage() *canonical.Usage   { return nil }

func relayAll(t *testing.T, body string, tap Tap) (frames []string, err error) {
	t.Helper()
	ep := &Endpoint{Name: "p", APIKey: "sk-secret-key"}
	call := NewCall(context.Background(), Timeouts{})
	r := NewRelay(ep, call, io.NopCloser(strings.NewReader(body)), tap, &pipeline.Exchange{}, time.Now)
	defer r.Close()
	for {
		f, err := r.Next(context.Background())
		if err != nil {
			if errors.Is(err, io.EOF) {
				return frames, nil
			}
			return frames, err
		}
		frames = append(frames, string(f.Raw))
	}
}

// TestRelayKeepsAnUnterminatedLastFrame: a stream whose last frame lacks its
// blank line (Gemini's blocked-prompt stream ends with a single CRLF) still
// delivers that frame, completed in its own line-ending style, whenever the
// stream counts as complete; otherwise it is a cut.
func TestRelayKeepsAnUnterminatedLastFrame(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		tap     *fakeTap
		want    []string
		wantCut bool
	}{
		{"terminal frame without blank line", "data: a\n\ndata: END\n", &fakeTap{},
			[]string{"data: a\n\n", "data: END\n\n"}, false},
		{"complete at EOF, CRLF frame", "data: {\"promptFeedback\":{}}\r\n", &fakeTap{complete: true},
			[]string{"data: {\"promptFeedback\":{}}\r\n\r\n"}, false},
		{"complete at EOF with a tail frame", "data: x", &fakeTap{complete: true, tail: []byte("data: [DONE]\n\n")},
			[]string{"data: x\n\n", "data: [DONE]\n\n"}, false},
		{"incomplete at EOF is a cut", "data: a\n\ndata: b\n", &fakeTap{},
			[]string{"data: a\n\n"}, true},
		{"credential echoed in the last frame is scrubbed", "data: sk-secret-key\n", &fakeTap{complete: true},
			[]string{"data: [redacted]\n\n"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := relayAll(t, tc.body, tc.tap)
			if tc.wantCut {
				var ce *canonical.Error
				if !errors.As(err, &ce) || ce.Status != 502 {
					t.Fatalf("err = %v, want the stream-cut 502", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("frames %q, want %q", got, tc.want)
			}
		})
	}
}

// strayDecoder fails the stream on a stray "{" line, like Gemini's bare
// error object, and otherwise passes data frames as text deltas.
type strayDecoder struct{ done bool }

func (s *strayDecoder) Decode(_ string, data []byte, out []canonical.Event) ([]canonical.Event, error) {
	return append(out, canonical.Event{Type: canonical.EventDelta, Delta: string(data)}), nil
}

func (s *strayDecoder) DecodeStray(raw []byte, out []canonical.Event) ([]canonical.Event, error) {
	if strings.HasPrefix(string(raw), "{") {
		s.done = true
		return append(out, canonical.Event{Type: canonical.EventError, Err: &canonical.Error{Status: 499, Message: "cancelled"}}), nil
	}
	return out, nil
}

func (s *strayDecoder) Close(out []canonical.Event) ([]canonical.Event, error) {
	if s.done {
		return out, nil
	}
	return append(out, canonical.Event{Type: canonical.EventEnd}), nil
}

func TestTranslatorHandsStrayFramesToTheDecoder(t *testing.T) {
	ep := &Endpoint{Name: "p"}
	call := NewCall(context.Background(), Timeouts{})
	body := "data: one\n\n{\n  \"error\": {}\n}\n"
	tr := NewTranslator(ep, call, io.NopCloser(strings.NewReader(body)), &strayDecoder{}, &pipeline.Exchange{}, time.Now)
	defer tr.Close()
	f, err := tr.Next(context.Background())
	if err != nil || len(f.Events) != 1 || f.Events[0].Delta != "one" {
		t.Fatalf("first frame %+v %v", f, err)
	}
	_, err = tr.Next(context.Background())
	var ce *canonical.Error
	if !errors.As(err, &ce) || ce.Status != 499 {
		t.Fatalf("err = %v, want the stray error", err)
	}
}

// TestCoalescedRelayKeepsEveryByteAndStopsAtTheEnd: frames already buffered
// together leave as one frame, byte for byte, the tap still sees each one,
// and nothing after the terminal frame is relayed.
func TestCoalescedRelayKeepsEveryByteAndStopsAtTheEnd(t *testing.T) {
	body := "data: 1\n\ndata: 2\n\n: keep-alive\n\ndata: END\n\ndata: after\n\n"
	ep := &Endpoint{Name: "p", APIKey: "sk-secret-key"}
	r := NewRelay(ep, NewCall(context.Background(), Timeouts{}), io.NopCloser(strings.NewReader(body)), &fakeTap{}, &pipeline.Exchange{}, time.Now)
	r.Coalesce = true
	defer r.Close()
	var got strings.Builder
	frames := 0
	for {
		f, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames++
		got.Write(f.Raw)
	}
	want := "data: 1\n\ndata: 2\n\n: keep-alive\n\ndata: END\n\n"
	if got.String() != want {
		t.Fatalf("relayed %q, want %q", got.String(), want)
	}
	if frames != 1 {
		t.Fatalf("%d frames: everything was buffered together and should leave together", frames)
	}
	// The credential is still scrubbed from a coalesced batch.
	r2 := NewRelay(ep, NewCall(context.Background(), Timeouts{}), io.NopCloser(strings.NewReader("data: sk-secret-key\n\ndata: END\n\n")), &fakeTap{}, &pipeline.Exchange{}, time.Now)
	r2.Coalesce = true
	defer r2.Close()
	f, err := r2.Next(context.Background())
	if err != nil || strings.Contains(string(f.Raw), "sk-secret-key") {
		t.Fatalf("%q %v", f.Raw, err)
	}
}

// A closed relay hands its frame reader back to the endpoint, and the next
// stream of that endpoint reads with it; Next after Close ends the stream.
func TestRelayReusesItsReaderAfterClose(t *testing.T) {
	ep := &Endpoint{Name: "p"}
	open := func(body string) *Relay {
		return NewRelay(ep, NewCall(context.Background(), Timeouts{}), io.NopCloser(strings.NewReader(body)), &fakeTap{}, &pipeline.Exchange{}, time.Now)
	}
	r1 := open("data: 1\n\n")
	if f, err := r1.Next(context.Background()); err != nil || string(f.Raw) != "data: 1\n\n" {
		t.Fatalf("%q %v", f.Raw, err)
	}
	rd := r1.rd
	r1.Close()
	if _, err := r1.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after Close: %v, want io.EOF", err)
	}
	if r1.Ready() != true {
		t.Fatal("a closed relay is at its end")
	}
	r2 := open("data: 2\n\n")
	defer r2.Close()
	if r2.rd != rd {
		t.Skip("the pool dropped the reader (allowed by sync.Pool, e.g. under the race detector)")
	}
	if f, err := r2.Next(context.Background()); err != nil || string(f.Raw) != "data: 2\n\n" {
		t.Fatalf("reused reader read %q %v", f.Raw, err)
	}
}
