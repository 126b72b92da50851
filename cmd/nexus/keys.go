package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// labelFlag collects repeated --label k=v.
type labelFlag map[string]string

func (l labelFlag) String() string { return "" }
func (l labelFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("label %q: want key=value", v)
	}
	l[k] = val
	return nil
}

func keys(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New("keys: want a subcommand: create, list, disable, enable, revoke")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := fs.String("config", "", "configuration file")
	name := fs.String("name", "", "key name (unique)")
	models := fs.String("models", "", "comma-separated model globs the key may use (default: all)")
	rpm := fs.Int("rpm", 0, "requests per minute (0 = unlimited)")
	expires := fs.Duration("expires", 0, "lifetime, e.g. 720h (0 = never)")
	labels := labelFlag{}
	fs.Var(labels, "label", "free label key=value (repeatable), e.g. team=search")
	// Accept the positional ID/NAME before or after flags.
	var positional []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("keys %s: %w", sub, err)
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
	case "create":
		if *name == "" && len(positional) > 0 {
			*name = positional[0]
		}
		if *name == "" {
			return errors.New("keys create: --name is required")
		}
		secrets, err := gateway.ServerSecrets(cfg, getenv, true)
		if err != nil {
			return err
		}
		h, err := vkey.NewHasher(secrets...)
		if err != nil {
			return err
		}
		key, err := vkey.Mint(rand.Reader)
		if err != nil {
			return err
		}
		k := &store.VirtualKey{Name: *name, Hash: h.Hash(key), Prefix: vkey.Prefix(key), Enabled: true, RPM: *rpm, Labels: labels}
		if *models != "" {
			for _, m := range strings.Split(*models, ",") {
				if m = strings.TrimSpace(m); m != "" {
					k.AllowedModels = append(k.AllowedModels, m)
				}
			}
		}
		if *expires > 0 {
			t := time.Now().Add(*expires).UTC()
			k.ExpiresAt = &t
		}
		if err := db.CreateKey(ctx, k); err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		fmt.Fprintf(stdout, "created key %q (id %s). It is shown once; store it now:\n", k.Name, k.ID)
		fmt.Fprintln(stdout, key)
		return nil
	case "list":
		ks, err := db.ListKeys(ctx)
		if err != nil {
			return err
		}
		return printKeys(stdout, ks)
	case "disable", "enable", "revoke":
		if len(positional) != 1 {
			return fmt.Errorf("keys %s: want exactly one key id or name", sub)
		}
		ref := positional[0]
		switch sub {
		case "disable":
			err = db.SetKeyEnabled(ctx, ref, false)
		case "enable":
			err = db.SetKeyEnabled(ctx, ref, true)
		default:
			err = db.RevokeKey(ctx, ref)
		}
		if err != nil {
			return fmt.Errorf("keys %s %s: %w", sub, ref, err)
		}
		fmt.Fprintf(stdout, "key %s %sd\n", ref, strings.TrimSuffix(sub, "e"))
		return nil
	}
	return fmt.Errorf("keys: unknown subcommand %q", sub)
}

func printKeys(w io.Writer, ks []store.VirtualKey) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSTATE\tRPM\tMODELS\tEXPIRES\tLABELS")
	for _, k := range ks {
		state := "enabled"
		switch {
		case k.Status == store.StatusRevoked:
			state = "revoked"
		case !k.Enabled:
			state = "disabled"
		case k.ExpiresAt != nil && time.Now().After(*k.ExpiresAt):
			state = "expired"
		}
		exp := "never"
		if k.ExpiresAt != nil {
			exp = k.ExpiresAt.Format(time.RFC3339)
		}
		models := "*"
		if len(k.AllowedModels) > 0 {
			models = strings.Join(k.AllowedModels, ",")
		}
		var ls []string
		for lk, lv := range k.Labels {
			ls = append(ls, lk+"="+lv)
		}
		sort.Strings(ls)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, state, k.RPM, models, exp, strings.Join(ls, ","))
	}
	return tw.Flush()
}
