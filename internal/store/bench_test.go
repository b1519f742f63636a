package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

// BenchmarkS3PutUnknownSize streams 64 MiB of unknown size to MinIO with the default part
// size; B/op shows the memory an upload holds (about one part).
func BenchmarkS3PutUnknownSize(b *testing.B) {
	const size = 64 << 20
	s := newS3(b, miniotest.Shared(b))
	sum := sha256Of(b, pseudoRandom(9, size))
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key := fmt.Sprintf("bench/v1/file-%d", i)
		if _, err := s.Put(context.Background(), key, onlyReader{pseudoRandom(9, size)}, -1, sum, ""); err != nil {
			b.Fatal(err)
		}
	}
}
