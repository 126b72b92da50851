package mockupstream

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// serveGeminiEmbed answers :embedContent ({"embedding":{"values":[…]}}) and
// :batchEmbedContents ({"embeddings":[{"values":[…]}…]}) with the same
// deterministic vectors as the OpenAI route, so a test can compare them.
// Gemini reports no token usage for embeddings, and neither does this.
func (s *Server) serveGeminiEmbed(x *exchange, batch bool) {
	type content struct {
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	}
	type one struct {
		Content              content `json:"content"`
		OutputDimensionality int     `json:"outputDimensionality"`
	}
	var reqs []one
	if batch {
		var b struct {
			Requests []one `json:"requests"`
		}
		if json.Unmarshal(x.body, &b) != nil {
			s.writeError(x, http.StatusBadRequest, "Invalid JSON payload received.")
			return
		}
		reqs = b.Requests
	} else {
		var o one
		if json.Unmarshal(x.body, &o) != nil {
			s.writeError(x, http.StatusBadRequest, "Invalid JSON payload received.")
			return
		}
		reqs = []one{o}
	}
	if len(reqs) == 0 {
		s.writeError(x, http.StatusBadRequest, "* BatchEmbedContentsRequest.requests: contents is not specified")
		return
	}
	var out []byte
	if batch {
		out = append(out, `{"embeddings":[`...)
	}
	for i, r := range reqs {
		text := ""
		for _, p := range r.Content.Parts {
			text += p.Text
		}
		dims := r.OutputDimensionality
		if dims <= 0 || dims > maxDimensions {
			dims = 768
		}
		vec := make([]float32, dims)
		embeddingVector(vec, []byte(strconv.Quote(text)))
		if i > 0 {
			out = append(out, ',')
		}
		if !batch {
			out = append(out, `{"embedding":`...)
		}
		out = append(out, `{"values":[`...)
		for j, f := range vec {
			if j > 0 {
				out = append(out, ',')
			}
			out = strconv.AppendFloat(out, float64(f), 'g', -1, 32)
		}
		out = append(out, "]}"...)
		if !batch {
			out = append(out, '}')
		}
	}
	if batch {
		out = append(out, "]}"...)
	}
	s.writeBody(x, http.StatusOK, contentTypeJSON, out)
}
