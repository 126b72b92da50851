package mockupstream

import "strings"

// Greeting starts every synthesized answer.
const Greeting = "Hello from the Nexus mock upstream."

// toolArguments is the argument object of a synthesized tool call. Small but
// not empty, so argument fragments have something to reassemble.
const toolArguments = `{"mock":true}`

// answer is the deterministic reply to one request: a text made of word
// tokens that is cut into exactly n stream pieces, and the usage numbers all
// shapes report.
type answer struct {
	text   string
	starts []int // byte offset of each token in text; a token keeps its leading space
	n      int   // number of stream pieces (= completion tokens)
	pad    int   // extra padding bytes appended to the non-stream text
	// cycleHead is the first token with a leading space, used when pieces
	// cycle past the end of the text (built once, not per piece).
	cycleHead string

	promptTokens     int
	completionTokens int
	tool             string // name of the tool to call; "" for a text answer
}

func newAnswer(ri *reqInfo, ctl *control, bodyLen int) answer {
	text := Greeting
	if ri.userText != "" {
		text = Greeting + " You said: " + ri.userText
	}
	a := answer{text: text, starts: tokenStarts(make([]int, 0, 16), text), n: ctl.chunkCount()}
	if ctl.tool && ri.toolName != "" {
		a.tool = ri.toolName
		a.n = min(a.n, len(toolArguments))
	}
	if a.n > len(a.starts) {
		a.cycleHead = " " + a.text[:a.tokenEnd(0)]
	}
	a.promptTokens = max(1, bodyLen/4)
	a.completionTokens = a.n
	return a
}

func tokenStarts(dst []int, text string) []int {
	dst = append(dst, 0)
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			dst = append(dst, i)
		}
	}
	return dst
}

// piece returns stream piece i of n. With fewer pieces than tokens, tokens
// are grouped evenly; with more, tokens repeat in a cycle, so chunks=256
// still reads as text and joins to exactly fullText.
func (a *answer) piece(i int) string {
	nt := len(a.starts)
	if a.n <= nt {
		lo, hi := a.starts[i*nt/a.n], len(a.text)
		if i+1 < a.n {
			hi = a.starts[(i+1)*nt/a.n]
		}
		return a.text[lo:hi]
	}
	t := i % nt
	if t == 0 && i > 0 {
		return a.cycleHead // the first token has no leading space of its own
	}
	return a.text[a.starts[t]:a.tokenEnd(t)]
}

func (a *answer) tokenEnd(t int) int {
	if t+1 < len(a.starts) {
		return a.starts[t+1]
	}
	return len(a.text)
}

// fullText is the concatenation of all pieces plus any padding.
func (a *answer) fullText() string {
	s := a.text
	if a.n > len(a.starts) {
		var b strings.Builder
		for i := range a.n {
			b.WriteString(a.piece(i))
		}
		s = b.String()
	}
	if a.pad > 0 {
		s += padding(a.pad)
	}
	return s
}

// setPadding makes the non-stream text longer by pad bytes and counts the
// padding as completion tokens (~4 bytes each), keeping usage plausible.
func (a *answer) setPadding(pad int) {
	if pad <= 0 {
		return
	}
	a.pad = pad
	a.completionTokens = a.n + pad/4
}

// padding is plain ASCII so it needs no JSON escaping and adds exactly its
// length to the body.
func padding(n int) string {
	const unit = " Nexus mock padding."
	s := strings.Repeat(unit, n/len(unit)+1)
	return s[:n]
}
