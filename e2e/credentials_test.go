package e2e

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/mockupstream"
	"github.com/nexus-gateway/nexus/internal/store"
)

// TestStoredCredentialIsSealedAndUsed: a provider key kept in the database
// is stored only as AES-GCM ciphertext and opened at start-up with the
// master key; a wrong master key stops start-up without printing the key.
func TestStoredCredentialIsSealedAndUsed(t *testing.T) {
	mock := mockupstream.New(mockupstream.Options{})
	up := httptest.NewServer(mock)
	defer up.Close()
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "n.db")
	master := strings.Repeat("ab", 32)
	vars := map[string]string{"NEXUS_MASTER_KEY": master, "NEXUS_SECRET": serverSecret}
	getenv := func(k string) string { return vars[k] }

	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sealer, err := gateway.Sealer(getenv)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal([]byte(providerKey), []byte("openai"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed.Ciphertext), providerKey) {
		t.Fatal("credential stored in clear")
	}
	if err := db.PutCredential(context.Background(), "openai", sealed); err != nil {
		t.Fatal(err)
	}
	yaml := "database: " + dsn + "\nproviders:\n  - name: openai\n    type: openai\n    base_url: " + up.URL + "/v1\n    credential: store\nmodels:\n  - name: gpt-4o-mini\n    provider: openai\n"
	cfg, err := config.Parse("c.yaml", []byte(yaml), getenv)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(context.Background(), gateway.Options{Config: cfg, Store: db, Getenv: getenv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler)
	defer srv.Close()
	e := &env{gw: gw, db: db, srv: srv, mock: mock}
	secrets, _ := gateway.ServerSecrets(cfg, getenv, false)
	e.hasher = mustHasher(t, secrets)
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`, nil)
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	if h, _ := mock.LastRequest(); h.Get("Authorization") != "Bearer "+providerKey {
		t.Fatalf("upstream did not get the opened credential")
	}

	vars["NEXUS_MASTER_KEY"] = strings.Repeat("cd", 32)
	_, err = gateway.New(context.Background(), gateway.Options{Config: cfg, Store: db, Getenv: getenv})
	if err == nil || strings.Contains(err.Error(), providerKey) || !strings.Contains(err.Error(), "openai") {
		t.Fatalf("wrong master key: err = %v", err)
	}
}
