package api

import (
	"time"
)

// UploadPace is the slowest an upload's body may arrive: Grace for the
// first byte, then BytesPerSecond on average from the start. A body that
// falls behind is cut off with 408 request_timeout and nothing is stored,
// so that a connection trickling a byte a second holds no more than a
// goroutine and a spool for long.
type UploadPace struct {
	Grace          time.Duration
	BytesPerSecond int64
}

// DefaultUploadPace allows 10 s, then 1 s per 16 KiB (128 kbit/s, a poor
// mobile link): a 10 MiB photo may take up to 11 minutes, a body trickling
// a byte a second is cut off after about 10 s.
var DefaultUploadPace = UploadPace{Grace: 10 * time.Second, BytesPerSecond: 16 << 10}

// due is when byte n (counted from 1) of a body begun at start must have
// arrived.
func (p UploadPace) due(start time.Time, n int64) time.Time {
	return start.Add(p.Grace + time.Duration(float64(n)/float64(p.BytesPerSecond)*float64(time.Second)))
}
