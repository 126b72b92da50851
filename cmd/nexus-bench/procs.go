package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// proc is one server process the harness started. Its stdout and stderr go
// straight to a file (no copying through the harness, which shares the
// CPUs), and the harness learns the listen address from that file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process exited
	waitErr error         // valid after done
}

// startProc starts bin with args, logging to logPath, and waits until the
// log shows addrRe's first group (the listen address).
func startProc(ctx context.Context, name, bin string, args, env []string, logPath string, addrRe *regexp.Regexp) (*proc, string, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	logf.Close() // the child holds its own descriptor
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	addr, err := p.waitLog(ctx, addrRe, 30*time.Second)
	if err != nil {
		p.stop()
		return nil, "", err
	}
	return p, addr, nil
}

// waitLog polls the log until re matches and returns its first group.
func (p *proc) waitLog(ctx context.Context, re *regexp.Regexp, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(p.logPath); err == nil {
			if m := re.FindSubmatch(b); m != nil {
				return string(m[1]), nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-p.done:
			return "", fmt.Errorf("%s exited before listening (%v): %s", p.name, p.waitErr, p.logTail())
		case <-deadline.C:
			return "", fmt.Errorf("%s did not report its address within %s: %s", p.name, timeout, p.logTail())
		case <-tick.C:
		}
	}
}

// pid is the OS process id, for CPU accounting.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// alive reports an error when the process has already exited.
func (p *proc) alive() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%v): %s", p.name, p.waitErr, p.logTail())
	default:
		return nil
	}
}

// stop asks the process to shut down, and kills it after a grace period.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// logTail is the end of the process log, for error messages.
func (p *proc) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	b = bytes.TrimSpace(b)
	if len(b) > 800 {
		b = b[len(b)-800:]
	}
	return string(b)
}

// buildNexus compiles the gateway into dir. The package path (not ./cmd/…)
// lets it run from any directory inside the module.
func buildNexus(ctx context.Context, goBin, dir string, env []string) (string, error) {
	out := filepath.Join(dir, "nexus")
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "github.com/nexus-gateway/nexus/cmd/nexus")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build nexus: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// createKey runs `nexus keys create` and returns the key, which the command
// prints alone on its last stdout line.
func createKey(ctx context.Context, nexusBin, cfgPath string, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, nexusBin, "keys", "create", "--config", cfgPath, "--name", "bench")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("nexus keys create: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	key := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(key, "nvk_") {
		return "", errors.New("nexus keys create: no key on the last output line")
	}
	return key, nil
}
