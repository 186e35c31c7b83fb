// Command server runs pxgate: an HTTP gateway that runs PxL on Pixie and
// answers rows plus tolerance verdicts.
//
//	server                 serve, configured by PIXIE_* and PXGATE_* variables
//	server -check-config   validate the configuration and print it, secrets redacted
//	server -version        print the version
//	server -h              list every variable with its default
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pxgate/pxgate/config"
	"github.com/pxgate/pxgate/version"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run parses flags, loads the configuration and serves until SIGINT or
// SIGTERM. It returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	checkConfig := fs.Bool("check-config", false, "validate the configuration, print it with secrets redacted, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: server [-check-config] [-version]\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nConfiguration is read from the environment:\n\n")
		_ = config.Usage(stderr)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.Print())
		return 0
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "pxgate: invalid configuration:\n%s\n", indent(err.Error()))
		return 2
	}
	if *checkConfig {
		fmt.Fprintln(stdout, "configuration is valid")
		if err := cfg.Print(stdout); err != nil {
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A second signal while draining ends the process at once.
	context.AfterFunc(ctx, stop)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := Serve(ctx, cfg, Hooks{LogOut: stderr, Reload: hup}); err != nil {
		fmt.Fprintf(stderr, "pxgate: %v\n", err)
		return 1
	}
	return 0
}

func indent(s string) string {
	out := "  "
	for _, r := range s {
		out += string(r)
		if r == '\n' {
			out += "  "
		}
	}
	return out
}
