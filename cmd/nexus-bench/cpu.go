package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// cpuClock reads a process's CPU time (user + system) from /proc. It is the
// steadiest figure on a small shared machine: wall-clock rates move with
// whatever else runs, CPU per request much less.
type cpuClock struct {
	hz int64 // clock ticks per second of /proc/<pid>/stat
}

// atClkTck is the auxiliary-vector tag carrying the kernel's USER_HZ.
const atClkTck = 17

// newCPUClock learns the tick rate from /proc/self/auxv; USER_HZ is 100 on
// every mainstream Linux, which is the fallback.
func newCPUClock() cpuClock {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return cpuClock{hz: 100}
	}
	if hz := auxvValue(b, atClkTck, strconv.IntSize/8); hz > 0 {
		return cpuClock{hz: int64(hz)}
	}
	return cpuClock{hz: 100}
}

// auxvValue finds tag in an auxiliary vector of native-endian word pairs.
func auxvValue(b []byte, tag uint64, word int) uint64 {
	read := func(p []byte) uint64 {
		if word == 4 {
			return uint64(binary.NativeEndian.Uint32(p))
		}
		return binary.NativeEndian.Uint64(p)
	}
	for i := 0; i+2*word <= len(b); i += 2 * word {
		t := read(b[i:])
		if t == 0 { // AT_NULL ends the vector
			return 0
		}
		if t == tag {
			return read(b[i+word:])
		}
	}
	return 0
}

// used returns the CPU time pid has consumed; pid 0 means this process.
func (c cpuClock) used(pid int) (time.Duration, error) {
	path := "/proc/self/stat"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	ticks, err := statCPUTicks(b)
	if err != nil {
		return 0, fmt.Errorf("cpu time of %s: %w", path, err)
	}
	return time.Duration(ticks) * time.Second / time.Duration(c.hz), nil
}

// statCPUTicks returns utime+stime (fields 14 and 15) of a /proc/<pid>/stat
// line. The command name (field 2) is parenthesised and may itself hold
// spaces and parentheses, so fields are counted from the last ')'.
func statCPUTicks(b []byte) (int64, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, errors.New("no command name")
	}
	fields := bytes.Fields(b[end+1:])
	// fields[0] is field 3 (state), so field n is fields[n-3].
	if len(fields) < 13 {
		return 0, errors.New("too few fields")
	}
	var total int64
	for _, f := range fields[11:13] {
		v, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("bad tick count %q", f)
		}
		total += v
	}
	return total, nil
}

// systemBusy is the CPU time all processes have used since boot: user,
// nice and system of the aggregate line of /proc/stat. Interrupt and
// softirq time are left out because the kernel books them to no process
// (loopback traffic is mostly softirq), and steal is the hypervisor's; so
// against the harness's own processes it shows what other work ran.
func (c cpuClock) systemBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("system cpu: %w", err)
	}
	ticks, err := statBusyTicks(b)
	if err != nil {
		return 0, fmt.Errorf("system cpu: %w", err)
	}
	return time.Duration(ticks) * time.Second / time.Duration(c.hz), nil
}

// statBusyTicks sums user, nice and system of the aggregate "cpu" line of
// /proc/stat (guest time is already inside user).
func statBusyTicks(b []byte) (int64, error) {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	fields := bytes.Fields(line)
	if len(fields) < 5 || string(fields[0]) != "cpu" {
		return 0, errors.New("no aggregate cpu line")
	}
	var total int64
	for _, f := range fields[1:4] {
		v, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("bad tick count %q", f)
		}
		total += v
	}
	return total, nil
}
