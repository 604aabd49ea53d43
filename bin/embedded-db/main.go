// Command ferretdb runs FerretDB as an embedded library on one loopback address, for tests and
// local runs: on SQLite (--sqlite-dir, the default handler) or on PostgreSQL (--handler postgresql
// --postgresql-url postgres://...). Built from this module so the pinned FerretDB version is in go.sum.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "sqlite", "backend: sqlite or postgresql")
	dir := flag.String("sqlite-dir", "", "absolute path of an existing folder for the SQLite files (sqlite)")
	pgURL := flag.String("postgresql-url", "", "connection string, e.g. postgres://127.0.0.1:5432/ferretdb (postgresql)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	config := ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: *listen}, Handler: *handler}
	switch *handler {
	case "sqlite":
		if *dir == "" {
			fmt.Fprintln(os.Stderr, "ferretdb: --sqlite-dir is required with --handler sqlite")
			os.Exit(2)
		}
		config.SQLiteURL = "file:" + *dir + "/"
	case "postgresql":
		if *pgURL == "" {
			fmt.Fprintln(os.Stderr, "ferretdb: --postgresql-url is required with --handler postgresql")
			os.Exit(2)
		}
		config.PostgreSQLURL = *pgURL
	default:
		fmt.Fprintln(os.Stderr, "ferretdb: --handler must be sqlite or postgresql, not", *handler)
		os.Exit(2)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: bad --log-level:", err)
		os.Exit(2)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	config.Logger = logger

	f, err := ferretdb.New(&config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}
