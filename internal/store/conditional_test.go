package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runConditionalContract runs the conditional writes every Store must share (see
// runContract, which calls it).
func runConditionalContract(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("create-only: of racing writers exactly one wins", func(t *testing.T) {
		s := open(t)
		const racers = 8
		var wg sync.WaitGroup
		errs := make([]error, racers)
		etags := make([]string, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				etags[i], errs[i] = s.Create(ctx, "leases/o/s/v1.json", fmt.Appendf(nil, `{"racer":%d}`, i))
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "racers %d and %d both created the object", winner, i)
				winner = i
				continue
			}
			var pe *PreconditionError
			require.ErrorAs(t, err, &pe, "racer %d", i)
			assert.ErrorIs(t, err, ErrPreconditionFailed)
			assert.Equal(t, "create", pe.Op)
		}
		require.NotEqual(t, -1, winner, "nobody created the object")
		data, etag, err := s.ReadSmall(ctx, "leases/o/s/v1.json")
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf(`{"racer":%d}`, winner), string(data))
		assert.Equal(t, etags[winner], etag)
	})

	t.Run("replace needs the current ETag", func(t *testing.T) {
		s := open(t)
		first, err := s.Create(ctx, "l/k.json", []byte(`{"n":1}`))
		require.NoError(t, err)
		second, err := s.Replace(ctx, "l/k.json", []byte(`{"n":2}`), first)
		require.NoError(t, err)
		assert.NotEqual(t, first, second)

		_, err = s.Replace(ctx, "l/k.json", []byte(`{"n":3}`), first)
		require.ErrorIs(t, err, ErrPreconditionFailed, "a stale ETag")
		data, etag, err := s.ReadSmall(ctx, "l/k.json")
		require.NoError(t, err)
		assert.Equal(t, `{"n":2}`, string(data), "the refused replace changed nothing")
		assert.Equal(t, second, etag)

		_, err = s.Replace(ctx, "l/missing.json", []byte(`{}`), second)
		assert.ErrorIs(t, err, ErrPreconditionFailed, "a key that is gone")
		_, _, err = s.ReadSmall(ctx, "l/missing.json")
		assert.ErrorIs(t, err, ErrNotFound, "nothing created by a refused replace")
	})

	t.Run("two takers of one ETag: one wins", func(t *testing.T) {
		s := open(t)
		etag, err := s.Create(ctx, "l/k.json", []byte(`{"holder":"dead run"}`))
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Replace(ctx, "l/k.json", fmt.Appendf(nil, `{"holder":"taker %d"}`, i), etag)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, ErrPreconditionFailed)
			}
		}
		assert.Equal(t, 1, won)
	})

	t.Run("delete if unchanged", func(t *testing.T) {
		s := open(t)
		first, err := s.Create(ctx, "l/k.json", []byte(`{"n":1}`))
		require.NoError(t, err)
		second, err := s.Replace(ctx, "l/k.json", []byte(`{"n":2}`), first)
		require.NoError(t, err)
		require.ErrorIs(t, s.DeleteIf(ctx, "l/k.json", first), ErrPreconditionFailed)
		_, _, err = s.ReadSmall(ctx, "l/k.json")
		require.NoError(t, err, "still there")
		require.NoError(t, s.DeleteIf(ctx, "l/k.json", second))
		_, _, err = s.ReadSmall(ctx, "l/k.json")
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.DeleteIf(ctx, "l/k.json", second), ErrPreconditionFailed, "gone already")
		assertEmpty(t, s)
	})

	t.Run("the probe passes and leaves nothing", func(t *testing.T) {
		s := open(t)
		require.NoError(t, ProbeConditional(ctx, s, "leases/.probe.json"))
		require.NoError(t, ProbeConditional(ctx, s, "leases/.probe.json"), "twice")
		assertEmpty(t, s)
	})

	t.Run("bad keys and oversized objects refused", func(t *testing.T) {
		s := open(t)
		for _, key := range []string{"", "/abs", "a/../b"} {
			_, err := s.Create(ctx, key, []byte("{}"))
			assert.ErrorIs(t, err, ErrInvalidKey, key)
			_, _, err = s.ReadSmall(ctx, key)
			assert.ErrorIs(t, err, ErrInvalidKey, key)
		}
		_, err := s.Create(ctx, "l/big.json", make([]byte, MaxSmallObject+1))
		assert.Error(t, err)
		assertEmpty(t, s)
	})
}

// ignoringStore is a server that accepts conditional headers and ignores them, as
// SeaweedFS did for concurrent creates (seaweedfs/seaweedfs issue 8800) and as
// pithings/mountx did for every PUT (its issue 19).
type ignoringStore struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (f *ignoringStore) ReadSmall(_ context.Context, key string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, ok := f.objects[key]
	if !ok {
		return nil, "", &NotFoundError{Where: "ignoring", Key: key}
	}
	return data, SHA256Hex(data), nil
}

func (f *ignoringStore) Create(_ context.Context, key string, data []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = data
	return SHA256Hex(data), nil
}

func (f *ignoringStore) Replace(ctx context.Context, key string, data []byte, _ string) (string, error) {
	return f.Create(ctx, key, data)
}

func (f *ignoringStore) DeleteIf(_ context.Context, key, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, key)
	return nil
}

func TestProbeCatchesAServerIgnoringConditions(t *testing.T) {
	f := &ignoringStore{objects: map[string][]byte{}}
	err := ProbeConditional(context.Background(), f, "leases/.probe.json")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "If-None-Match: *")
	assert.Contains(t, err.Error(), "succeeded")
	assert.Empty(t, f.objects, "the probe cleans up")
}

func TestPreconditionErrorSaysWhat(t *testing.T) {
	err := error(&PreconditionError{Op: "create", Where: "local folder /x", Key: "leases/a.json", Reason: "it exists"})
	assert.True(t, errors.Is(err, ErrPreconditionFailed))
	assert.Equal(t, `create "leases/a.json" in local folder /x: precondition failed: it exists`, err.Error())
}
