package export

import (
	"sync"
	"sync/atomic"
)

// rowBatch is a run of rows of one table, late fields filled, on their way to the
// renderers of every format. The renderers only read it; the last to finish recycles it.
type rowBatch struct {
	t    tableID
	buf  []byte
	ends []uint32 // field ends in buf, len(tables[t].insert) per row
	rows int
	last bool // the table's last batch: its INSERT ends after it
	refs atomic.Int32
}

// A batch is handed on at about this size: big enough that the hand-over costs nothing
// next to the rows, small enough that the batches in flight stay a few MB.
const (
	rowBatchBytes = 256 << 10
	rowBatchRows  = 2048
	batchesQueued = 8
)

func (b *rowBatch) full() bool { return len(b.buf) >= rowBatchBytes || b.rows >= rowBatchRows }

// rendering runs one renderer goroutine per format: header, rows, footer, each into its
// target's writer.
type rendering struct {
	queues []chan *rowBatch
	free   chan *rowBatch
	errs   []error
	failc  atomic.Bool
	abort  atomic.Bool // the rows are incomplete: no footer, so no load commits them
	wg     sync.WaitGroup
	// rowsDone: every renderer has taken every row. A footer is written only then, and
	// only when none failed, so that no target commits rows another could not take.
	rowsDone sync.WaitGroup
}

func startRendering(targets []formatWriter, m meta) *rendering {
	p := &rendering{
		queues: make([]chan *rowBatch, len(targets)),
		free:   make(chan *rowBatch, batchesQueued*(len(targets)+1)),
		errs:   make([]error, len(targets)),
	}
	p.rowsDone.Add(len(targets))
	for i, tw := range targets {
		q := make(chan *rowBatch, batchesQueued)
		p.queues[i] = q
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			o := newOutput(tw.format, tw.w)
			err := o.header(m)
			if err != nil {
				p.failc.Store(true)
			}
			for b := range q {
				if err == nil {
					err = o.addBatch(b)
					if err != nil {
						p.failc.Store(true)
					}
				}
				p.release(b)
			}
			p.rowsDone.Done()
			p.rowsDone.Wait()
			if err == nil && !p.abort.Load() && !p.failed() {
				err = o.footer(m)
			}
			p.errs[i] = err
		}()
	}
	return p
}

// batch returns an empty batch for table t.
func (p *rendering) batch(t tableID) *rowBatch {
	var b *rowBatch
	select {
	case b = <-p.free:
		b.buf, b.ends, b.rows, b.last = b.buf[:0], b.ends[:0], 0, false
	default:
		b = &rowBatch{buf: make([]byte, 0, rowBatchBytes+64<<10)}
	}
	b.t = t
	return b
}

// send hands b to every renderer.
func (p *rendering) send(b *rowBatch) {
	b.refs.Store(int32(len(p.queues)))
	for _, q := range p.queues {
		q <- b
	}
}

// release is a renderer done with b (or the feeder giving up on one it did not send).
func (p *rendering) release(b *rowBatch) {
	if b.refs.Load() > 0 && b.refs.Add(-1) > 0 {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}

// failed reports whether a renderer has stopped on an error.
func (p *rendering) failed() bool { return p.failc.Load() }

// finish waits for the renderers and returns the first error. complete says whether
// every row was sent: only then do the renderers write the footer.
func (p *rendering) finish(complete bool) error {
	p.abort.Store(!complete)
	for _, q := range p.queues {
		close(q)
	}
	p.wg.Wait()
	for _, err := range p.errs {
		if err != nil {
			return err
		}
	}
	return nil
}
