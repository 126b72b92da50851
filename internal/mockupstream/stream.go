package mockupstream

import (
	"net/http"
	"strconv"
)

// frameSet is a whole answer pre-built into one buffer before the first
// byte is written: a 256-chunk stream then costs one buffer (pooled) and 256
// Write+Flush pairs, nothing per frame.
type frameSet struct {
	buf     []byte
	start   int   // offset of the first frame; bytes before it are a template
	ends    []int // end offset of each frame in buf
	content []int // indexes (into ends) of the content frames
	// malformed, when set, is emitted as an extra broken frame right after
	// the first content frame (malformed=1).
	malformed string
}

func (f *frameSet) reset() {
	f.buf = f.buf[:0]
	f.start = 0
	f.ends = f.ends[:0]
	f.content = f.content[:0]
	f.malformed = ""
}

// copyHead appends the template kept at buf[:n] (a per-answer envelope
// prefix shared by all frames). Appending a slice of buf to itself is safe:
// the source is never overwritten, even when append reallocates.
func (f *frameSet) copyHead(n int) { f.buf = append(f.buf, f.buf[:n]...) }

// end closes the frame written since the previous end.
func (f *frameSet) end() { f.ends = append(f.ends, len(f.buf)) }

// endContent closes a content frame (one counted by chunks= and cut_after=).
func (f *frameSet) endContent() {
	f.end()
	f.content = append(f.content, len(f.ends)-1)
	if len(f.content) == 1 && f.malformed != "" {
		f.buf = append(f.buf, f.malformed...)
		f.end()
	}
}

// cutIndex is the index of the first frame not to send for cut_after=n:
// the preamble and n content frames go out, never the terminal frames.
func (f *frameSet) cutIndex(n int) int {
	if n < 0 {
		return -1
	}
	if len(f.content) == 0 {
		return min(n, len(f.ends))
	}
	if n == 0 {
		return f.content[0]
	}
	return f.content[min(n, len(f.content))-1] + 1
}

func (s *Server) getFrames() *frameSet {
	f := s.framePool.Get().(*frameSet)
	f.reset()
	return f
}

func (s *Server) putFrames(f *frameSet) {
	if cap(f.buf) <= pooledBufferCap {
		s.framePool.Put(f)
	}
}

// flusherFor returns a flush function for w; http.ResponseController
// reaches through wrappers that hide http.Flusher.
func flusherFor(w http.ResponseWriter) func() {
	if fl, ok := w.(http.Flusher); ok {
		return fl.Flush
	}
	rc := http.NewResponseController(w)
	return func() { _ = rc.Flush() }
}

// writeStream sends status and headers, then the frames one by one with a
// flush each, honouring latency=, chunk_delay= and cut_after=.
func (s *Server) writeStream(x *exchange, status int, contentType string, f *frameSet) {
	h := x.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	x.w.WriteHeader(status)
	flush := flusherFor(x.w)
	flush()
	ctx := x.r.Context()
	// latency= for streams models time to first token: headers are out,
	// the first event is late. stall= is the one that withholds headers.
	if !sleepCtx(ctx, x.ctl.latency) {
		return
	}
	cut := f.cutIndex(x.ctl.cutAfter)
	prev := f.start
	for i, end := range f.ends {
		if i == cut {
			abort(flush)
		}
		if i > 0 && x.ctl.chunkDelay > 0 && !sleepCtx(ctx, x.ctl.chunkDelay) {
			return
		}
		if _, err := x.w.Write(f.buf[prev:end]); err != nil {
			return
		}
		flush()
		prev = end
	}
	if cut == len(f.ends) {
		abort(flush)
	}
}

// writeBody sends a complete non-stream answer. With cut_after=n the
// Content-Length announces the whole body but only n bytes are sent before
// the connection is aborted.
func (s *Server) writeBody(x *exchange, status int, contentType string, body []byte) {
	if !sleepCtx(x.r.Context(), x.ctl.latency) {
		return
	}
	h := x.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	if n := x.ctl.cutAfter; n >= 0 && n < len(body) {
		_, _ = x.w.Write(body[:n])
		abort(flusherFor(x.w))
	}
	_, _ = x.w.Write(body)
}

// abort flushes what was written and drops the connection without ending the
// response. net/http recovers http.ErrAbortHandler silently and closes the
// connection: over HTTP/1.1 the terminating zero-length chunk (or the rest
// of the Content-Length) never arrives, so a client reading the body gets
// io.ErrUnexpectedEOF; over HTTP/2 the stream is reset (INTERNAL_ERROR).
func abort(flush func()) {
	flush()
	panic(http.ErrAbortHandler)
}
