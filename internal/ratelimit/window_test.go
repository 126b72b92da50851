package ratelimit

import (
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestSlidingWindowAdmitsUpToLimitThenFreesSlots(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := New(c.now)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("k", 3); !ok {
			t.Fatalf("request %d refused", i)
		}
		c.t = c.t.Add(10 * time.Second)
	}
	ok, wait := l.Allow("k", 3)
	if ok {
		t.Fatal("4th request admitted")
	}
	// The oldest entry (t=1000) leaves the window at t=1060; now is 1030.
	if wait != 30*time.Second || RetryAfterSeconds(wait) != 31 {
		t.Fatalf("wait = %v", wait)
	}
	c.t = c.t.Add(30*time.Second + time.Nanosecond)
	if ok, _ := l.Allow("k", 3); !ok {
		t.Fatal("slot did not free after the window")
	}
	if ok, _ := l.Allow("other", 3); !ok {
		t.Fatal("keys must be independent")
	}
}

func TestUnlimitedAndResize(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := New(c.now)
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow("u", 0); !ok {
			t.Fatal("rpm 0 means unlimited")
		}
	}
	for i := 0; i < 5; i++ {
		l.Allow("r", 5)
	}
	if ok, _ := l.Allow("r", 2); ok {
		t.Fatal("lowered limit must refuse")
	}
	if ok, _ := l.Allow("r", 10); !ok {
		t.Fatal("raised limit must admit")
	}
}

func TestConcurrentAdmissionsNeverExceedLimit(t *testing.T) {
	l := New(nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if ok, _ := l.Allow("k", 250); ok {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if admitted != 250 {
		t.Fatalf("admitted %d, want exactly 250", admitted)
	}
}
