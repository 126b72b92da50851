package canonical

import "testing"

func TestEmbeddingRequestInputCountCountsWhicheverFormIsSet(t *testing.T) {
	tests := []struct {
		req  EmbeddingRequest
		want int
	}{
		{EmbeddingRequest{}, 0},
		{EmbeddingRequest{Inputs: []string{"a", "b", ""}}, 3},
		{EmbeddingRequest{Tokens: [][]int{{1, 2}, {3}}}, 2},
	}
	for _, tt := range tests {
		if got := tt.req.InputCount(); got != tt.want {
			t.Errorf("%+v: %d, want %d", tt.req, got, tt.want)
		}
	}
}
