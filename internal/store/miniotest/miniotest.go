// Package miniotest runs a real MinIO server for tests: on a free 127.0.0.1 port, with a
// temporary data folder, stopped (with its whole process group) when the test or the test
// binary ends.
//
// The server binary is built by scripts/tools.sh into $SHEPHERD_TOOLS (by default
// ${XDG_CACHE_HOME:-$HOME/.cache}/shepherd/tools). When it is missing the tests are skipped,
// except under CI=true where they fail: CI must never pass without the S3 tests.
package miniotest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Timeouts for starting and stopping a server.
const (
	readyTimeout = 90 * time.Second
	stopTimeout  = 15 * time.Second
)

// Server is a running MinIO server.
type Server struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
	DataDir   string

	binary      string
	consoleAddr string
	mu          sync.Mutex
	proc        *process
}

// process is one run of the server binary.
type process struct {
	cmd    *exec.Cmd
	output *tailBuffer
	exited chan struct{}
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Endpoint }

// Binary returns the path of the MinIO binary, or an error saying how to build it.
func Binary() (string, error) {
	dir := os.Getenv("SHEPHERD_TOOLS")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("minio binary: no SHEPHERD_TOOLS and no home folder: %w", err)
			}
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "shepherd", "tools")
	}
	bin := filepath.Join(dir, "minio")
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("minio binary not found at %s: run scripts/tools.sh (or make tools) to build it", bin)
	}
	return bin, nil
}

// requireBinary skips the test when the binary is missing, or fails it under CI=true.
func requireBinary(t testing.TB) string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("S3 tests need a MinIO server: %v", err)
		}
		t.Skipf("S3 tests skipped: %v", err)
	}
	return bin
}

// Start runs a server for this test only, stopped when the test ends. Use it for tests that
// stop or restart the server; others should share one through Shared.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start(requireBinary(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping minio: %v", err)
		}
	})
	return s
}

var shared struct {
	sync.Mutex
	mainRunning bool
	server      *Server
	err         error
	dataDir     string
}

// Main runs the package's tests and then stops the server Shared started. Call it from
// TestMain: func TestMain(m *testing.M) { miniotest.Main(m) }.
func Main(m *testing.M) {
	shared.Lock()
	shared.mainRunning = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	if shared.server != nil {
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "miniotest: stopping the shared server: %v\n", err)
		}
	}
	if shared.dataDir != "" {
		os.RemoveAll(shared.dataDir)
	}
	shared.Unlock()
	os.Exit(code)
}

// Shared returns the package's server, starting it on first use; Main stops it.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := requireBinary(t)
	shared.Lock()
	defer shared.Unlock()
	if !shared.mainRunning {
		t.Fatal("miniotest.Shared needs TestMain to call miniotest.Main, which stops the server")
	}
	if shared.server == nil && shared.err == nil {
		shared.dataDir, shared.err = os.MkdirTemp("", "miniotest-")
		if shared.err == nil {
			shared.server, shared.err = start(bin, shared.dataDir)
		}
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.server
}

func start(bin, dataDir string) (*Server, error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint:    addrs[0],
		AccessKey:   "shepherd-" + randomHex(4),
		SecretKey:   randomHex(16),
		DataDir:     dataDir,
		binary:      bin,
		consoleAddr: addrs[1],
	}
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

// Restart starts a stopped server again, same address, credentials and data.
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.proc != nil
	s.mu.Unlock()
	if running {
		return errors.New("minio: restart of a running server")
	}
	return s.run()
}

func (s *Server) run() error {
	out := &tailBuffer{max: 64 << 10}
	cmd := exec.Command(s.binary, "server", "--quiet", "--address", s.Endpoint, "--console-address", s.consoleAddr, s.DataDir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = out, out
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("minio: start %s: %w", s.binary, err)
	}
	p := &process{cmd: cmd, output: out, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	if err := waitLive(s.URL(), p); err != nil {
		s.Stop()
		return fmt.Errorf("minio on %s: %w\nserver output:\n%s", s.Endpoint, err, out.String())
	}
	return nil
}

// waitLive polls the liveness endpoint, then the readiness one, until both answer 200: a
// server can be live while still answering S3 requests with "not initialized yet".
func waitLive(baseURL string, p *process) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for _, check := range []string{"/minio/health/live", "/minio/health/ready"} {
		if err := poll(client, baseURL+check, deadline, p); err != nil {
			return err
		}
	}
	return nil
}

func poll(client *http.Client, url string, deadline time.Time, p *process) error {
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("exited before becoming ready (%v)", p.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not answering 200 after %v", url, readyTimeout)
}

// Stop terminates the server and everything it started, politely first. Stopping a stopped
// server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	pid := p.cmd.Process.Pid
	signalGroup(pid, false)
	select {
	case <-p.exited:
		signalGroup(pid, true) // anything the server left behind
		return nil
	case <-time.After(stopTimeout):
	}
	signalGroup(pid, true)
	select {
	case <-p.exited:
		return fmt.Errorf("minio (pid %d) ignored SIGTERM for %v and was killed", pid, stopTimeout)
	case <-time.After(stopTimeout):
		return fmt.Errorf("minio (pid %d) still running after SIGKILL", pid)
	}
}

// freeAddrs returns n distinct free 127.0.0.1 addresses, held open together so they differ.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("minio: find a free port: %w", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - b.max; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
