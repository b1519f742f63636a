package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/shepherd-release/shepherd/internal/words"
)

// ScriptSpec is an extra script a repository configures to run on the export.
type ScriptSpec struct {
	// Name identifies the script in file names and logs: letters, digits, '.', '_', '-'.
	Name string
	// Command is the program and its arguments, run without a shell.
	Command []string
	// Timeout bounds the run. Default: DefaultScriptTimeout.
	Timeout time.Duration
	// Env adds variables to the script's environment.
	Env map[string]string
}

// ScriptResult is what a script run left behind.
type ScriptResult struct {
	LogPath  string
	ExitCode int
	Duration time.Duration
	// Files are the script's outputs, then its log.
	Files   []Artifact
	LogTail string
}

// ScriptError is a script that failed or ran out of time.
type ScriptError struct {
	Name     string
	ExitCode int // -1 when killed
	TimedOut bool
	Timeout  time.Duration
	LogPath  string
	LogTail  string // the last lines of the log
}

// Error says what happened and the log's last line; the log's path is the runner's, of
// no use to people reading a status, so the whole tail is in LogTail for those who show it.
func (e *ScriptError) Error() string {
	var what string
	if e.TimedOut {
		what = fmt.Sprintf("was stopped after its time limit of %s", words.Duration(e.Timeout))
	} else {
		what = fmt.Sprintf("exited with status %d", e.ExitCode)
	}
	tail := strings.TrimSpace(e.LogTail)
	if tail == "" {
		return fmt.Sprintf("script %s %s; its log is empty", e.Name, what)
	}
	return fmt.Sprintf("script %s %s; its log ends: %s", e.Name, what, tail[strings.LastIndexByte(tail, '\n')+1:])
}

const (
	// DefaultScriptTimeout applies when a ScriptSpec sets none.
	DefaultScriptTimeout = 30 * time.Minute
	// logTailLines is how much of a failed script's log goes into its error.
	logTailLines = 40
	// stopGrace is how long a script has to exit after SIGTERM before SIGKILL.
	stopGrace = 10 * time.Second
)

// Environment variables a script receives.
const (
	EnvExport  = "SHEPHERD_EXPORT"
	EnvOut     = "SHEPHERD_OUT"
	EnvVersion = "SHEPHERD_VERSION"
)

var scriptName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// passedEnv are the only variables of Shepherd's own environment a script sees: the
// rest (tokens, storage keys) stays out of reach of repository-configured commands.
var passedEnv = []string{"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "JAVA_HOME"}

// RunScript runs a script with the export's path, a fresh output folder
// (outDir/<name>/) and the version in its environment, stdout and stderr going to
// outDir/<name>.log. When the time limit passes, the script's whole process group is
// stopped. A non-zero exit or a timeout returns a *ScriptError with the log's tail;
// the result is filled in either case.
func RunScript(ctx context.Context, spec ScriptSpec, exportPath, outDir, version string) (ScriptResult, error) {
	var res ScriptResult
	if !scriptName.MatchString(spec.Name) {
		return res, fmt.Errorf("script name %q: use letters, digits, '.', '_' and '-' only", spec.Name)
	}
	if len(spec.Command) == 0 || spec.Command[0] == "" {
		return res, fmt.Errorf("script %s has no command", spec.Name)
	}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = DefaultScriptTimeout
	}
	absExport, err := filepath.Abs(exportPath)
	if err != nil {
		return res, fmt.Errorf("script %s: %w", spec.Name, err)
	}
	scriptOut, err := freshFolder(outDir, spec.Name)
	if err != nil {
		return res, fmt.Errorf("script %s: %w", spec.Name, err)
	}
	res.LogPath = filepath.Join(filepath.Dir(scriptOut), spec.Name+".log")
	logFile, err := os.Create(res.LogPath)
	if err != nil {
		return res, fmt.Errorf("script %s: creating its log: %w", spec.Name, err)
	}

	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, spec.Command[0], spec.Command[1:]...)
	cmd.Env = scriptEnv(spec.Env, absExport, scriptOut, version)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Stop the whole group, not just the leader: scripts start children (java, sh -c).
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = stopGrace

	began := time.Now()
	runErr := cmd.Start()
	if runErr == nil {
		runErr = cmd.Wait()
		// Whatever the script left running in its group goes with it.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	res.Duration = time.Since(began)
	if err := logFile.Close(); err != nil && runErr == nil {
		runErr = err
	}
	res.ExitCode = exitCode(cmd, runErr)
	res.LogTail = tailLines(res.LogPath, logTailLines)

	if cmd.Process == nil {
		return res, fmt.Errorf("script %s: cannot start %s: %w", spec.Name, spec.Command[0], runErr)
	}
	if files, err := outputArtifacts(outDir, spec.Name, res.LogPath); err == nil {
		res.Files = files
	} else if runErr == nil {
		return res, fmt.Errorf("script %s: %w", spec.Name, err)
	}
	timedOut := errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	switch {
	case timedOut:
		return res, &ScriptError{Name: spec.Name, ExitCode: res.ExitCode, TimedOut: true, Timeout: timeout, LogPath: res.LogPath, LogTail: res.LogTail}
	case ctx.Err() != nil:
		return res, fmt.Errorf("script %s: %w", spec.Name, ctx.Err())
	case runErr != nil:
		return res, &ScriptError{Name: spec.Name, ExitCode: res.ExitCode, LogPath: res.LogPath, LogTail: res.LogTail}
	}
	return res, nil
}

// freshFolder empties (or creates) outDir/name for a script's outputs.
func freshFolder(outDir, name string) (string, error) {
	abs, err := filepath.Abs(filepath.Join(outDir, name))
	if err != nil {
		return "", err
	}
	if err := os.RemoveAll(abs); err != nil {
		return "", fmt.Errorf("clearing %s: %w", abs, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", abs, err)
	}
	return abs, nil
}

func scriptEnv(extra map[string]string, exportPath, outPath, version string) []string {
	var env []string
	for _, key := range passedEnv {
		if v, ok := os.LookupEnv(key); ok {
			env = append(env, key+"="+v)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(extra)) {
		env = append(env, key+"="+extra[key])
	}
	// Last, so that configuration cannot override them.
	return append(env, EnvExport+"="+exportPath, EnvOut+"="+outPath, EnvVersion+"="+version)
}

func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState != nil {
		return cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	return -1
}

// outputArtifacts lists the regular files the script wrote, sorted, then its log.
func outputArtifacts(outDir, name, logPath string) ([]Artifact, error) {
	root := filepath.Join(outDir, name)
	var files []Artifact
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // folders are walked; links and devices are not published
		}
		rel, err := filepath.Rel(outDir, path)
		if err != nil {
			return err
		}
		a, err := fileArtifact(path, filepath.ToSlash(rel), "script:"+name)
		if err != nil {
			return err
		}
		files = append(files, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the outputs in %s: %w", root, err)
	}
	log, err := fileArtifact(logPath, filepath.Base(logPath), "log:"+name)
	if err != nil {
		return nil, err
	}
	return append(files, log), nil
}

// tailLines returns the last n lines of a file, reading at most its last 64 KiB.
func tailLines(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const window = 64 << 10
	var start int64
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		start = fi.Size() - window
	}
	data, err := io.ReadAll(io.NewSectionReader(f, start, window))
	if err != nil {
		return ""
	}
	data = bytes.TrimRight(data, "\n")
	lines := strings.Split(string(data), "\n")
	if start > 0 && len(lines) > 1 {
		lines = lines[1:] // the first line is cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
