// Command pixelpals runs the Pixel Pals service and its operator tasks.
// See `pixelpals help`; the wiring lives in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"pixelpals/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
	})
	stop()
	os.Exit(code)
}
