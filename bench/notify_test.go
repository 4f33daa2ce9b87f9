package bench

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"pixelpals/internal/apitest"
	"pixelpals/internal/notify"
)

// BenchmarkNotifyDelivery measures notification mails delivered per
// second: 400 due rows per round, drained by 1 or 4 workers (as 1 or 4
// instances would, each claiming batches of 20 with SKIP LOCKED), into an
// in-process SMTP server (emersion/go-smtp on loopback, one connection
// per mail, no TLS) or as .eml files into a temporary directory. Each
// b.N iteration is one round of every variant; reported are the medians
// of mails/s. Run with
//
//	go test -run='^$' -bench=NotifyDelivery -benchtime=3x ./bench/
func BenchmarkNotifyDelivery(b *testing.B) {
	const rows = 400
	env := apitest.New(b)
	fam := env.Family(env.Admin(), 1)
	var accepted atomic.Int64
	port := benchSMTP(b, &accepted)
	variants := []struct {
		name    string
		workers int
		sender  func() notify.Sender
	}{
		{"smtp-1", 1, func() notify.Sender { return benchSMTPSender(env, port) }},
		{"smtp-4", 4, func() notify.Sender { return benchSMTPSender(env, port) }},
		{"eml-1", 1, func() notify.Sender { return &notify.DirSender{Envelope: benchEnvelope(env), Dir: b.TempDir()} }},
		{"eml-4", 4, func() notify.Sender { return &notify.DirSender{Envelope: benchEnvelope(env), Dir: b.TempDir()} }},
	}
	// The family's own sign-up mail first, so that each round is its rows.
	drainWorker(b, &notify.Worker{Pool: env.DB.Pool, Sender: variants[2].sender(), Logger: slog.New(slog.DiscardHandler)})
	rates := map[string][]float64{}
	b.ResetTimer()
	for range b.N {
		for _, v := range variants {
			queueRows(b, env, fam.Parent.UserID, fam.Child().UserID, rows)
			before := accepted.Load()
			start := time.Now()
			var wg sync.WaitGroup
			for range v.workers {
				w := &notify.Worker{Pool: env.DB.Pool, Sender: v.sender(), PublicURL: env.Server.URL,
					Logger: slog.New(slog.DiscardHandler), Unsubscribe: &notify.Unsubscribe{Ring: env.Vault}}
				wg.Go(func() { drainWorker(b, w) })
			}
			wg.Wait()
			elapsed := time.Since(start)
			if got := accepted.Load() - before; v.name[:4] == "smtp" && got != rows {
				b.Fatalf("%s: the server accepted %d mails, want %d", v.name, got, rows)
			}
			rates[v.name] = append(rates[v.name], rows/elapsed.Seconds())
		}
	}
	for _, v := range variants {
		b.ReportMetric(median(rates[v.name]), v.name+"-mails/s")
	}
}

// queueRows writes n due leak-guard notifications to parent about child.
func queueRows(b *testing.B, env *apitest.Env, parent, child int64, n int) {
	b.Helper()
	_, err := env.DB.Pool.Exec(context.Background(), `
		INSERT INTO notifications (recipient_id, kind, child_id)
		SELECT $1, 'leak_guard', $2 FROM generate_series(1, $3)`, parent, child, n)
	if err != nil {
		b.Fatal(err)
	}
}

func drainWorker(b *testing.B, w *notify.Worker) {
	for {
		n, err := w.RunOnce(context.Background())
		if err != nil {
			b.Error(err)
			return
		}
		if n == 0 {
			return
		}
	}
}

func benchEnvelope(env *apitest.Env) notify.Envelope {
	return notify.Envelope{From: "Pixel Pals <pals@example.org>", PublicURL: env.Server.URL}
}

func benchSMTPSender(env *apitest.Env, port int) notify.Sender {
	return notify.NewSMTP(notify.SMTPServer{Host: "127.0.0.1", Port: port, Timeout: 10 * time.Second}, benchEnvelope(env))
}

// benchSMTP runs an SMTP server on loopback that accepts every mail,
// counting them, until the benchmark ends.
func benchSMTP(b *testing.B, accepted *atomic.Int64) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &countSession{n: accepted}, nil }))
	s.Domain = "localhost"
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ln) }()
	b.Cleanup(func() { s.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port
}

type countSession struct{ n *atomic.Int64 }

func (s *countSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *countSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *countSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.n.Add(1)
	return nil
}
func (s *countSession) Reset()        {}
func (s *countSession) Logout() error { return nil }
