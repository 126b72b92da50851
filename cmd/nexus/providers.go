package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/store"
)

// providers manages provider credentials kept sealed in the store. The key
// is read from stdin, never from the command line (where ps and shell
// history would see it).
func providers(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New("providers: want a subcommand: set-key, list")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("providers "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := fs.String("config", "", "configuration file")
	var positional []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("providers %s: %w", sub, err)
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional = append(positional, rest[0])
			rest = rest[1:]
		}
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()

	switch sub {
	case "set-key":
		if len(positional) != 1 {
			return errors.New("providers set-key: want exactly one provider name")
		}
		name := positional[0]
		sealer, err := gateway.Sealer(getenv)
		if err != nil {
			return err
		}
		if stdin == nil {
			return errors.New("providers set-key: the key is read from standard input")
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("providers set-key: read key: %w", err)
		}
		key := strings.TrimSpace(line)
		if key == "" {
			return errors.New("providers set-key: empty key on standard input")
		}
		sealed, err := sealer.Seal([]byte(key), []byte(name))
		if err != nil {
			return err
		}
		if err := db.PutCredential(ctx, name, sealed); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "stored the key of provider %s sealed under master key %s\n", name, sealed.KeyID)
		return nil
	case "list":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTYPE\tBASE URL\tCREDENTIAL")
		for _, p := range cfg.Providers {
			src := "config"
			if p.Credential == "store" {
				src = "store (missing)"
				if _, err := db.Credential(ctx, p.Name); err == nil {
					src = "store (sealed)"
				}
			} else if p.APIKey == "" {
				src = "none"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Type, p.BaseURL, src)
		}
		return tw.Flush()
	}
	return fmt.Errorf("providers: unknown subcommand %q", sub)
}
