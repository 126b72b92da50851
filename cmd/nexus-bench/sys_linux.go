package main

import "syscall"

// childAttr makes the kernel kill a server if the harness dies first, so an
// interrupted run never leaves load generators' targets behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
