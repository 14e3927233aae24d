// Command web is kubeha's demo web application: a real HTTP server the local cluster runs to
// prove deploys, upgrades and rollbacks. GET / answers with its version, /healthz and /readyz
// report health. Its version and behaviour are fixed at build time (-ldflags -X), so every image
// tag is one behaviour and needs no arguments:
//
//	mode=ok      serves normally
//	mode=broken  serves / but /readyz answers 503 forever (a rollout that never becomes ready)
//	mode=crash   exits with status 1 right after start (CrashLoopBackOff)
//	mode=bad     ready and healthy, but / answers 500 (ready but wrong: what only an analysis
//	             of the served traffic catches)
//	mode=slow    serves normally, but / answers after a delay (-X main.delay, default 800ms);
//	             /healthz and /readyz answer at once, so the pod is ready
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	version = "dev"
	mode    = "ok"
	delay   = "800ms" // how long / waits in mode=slow (time.ParseDuration)
)

func main() {
	addr := ":" + envOr("PORT", "8080")
	host, _ := os.Hostname()
	if mode == "crash" {
		log.Printf("kubeha-web %s: crash mode, exiting", version)
		os.Exit(1)
	}
	var wait time.Duration
	if mode == "slow" {
		d, err := time.ParseDuration(delay)
		if err != nil || d < 0 {
			log.Fatalf("kubeha-web %s: slow mode: bad delay %q", version, delay)
		}
		wait = d
	}
	var draining atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if mode == "bad" {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "kubeha-web version=%s host=%s error=bad mode\n", version, host)
			return
		}
		fmt.Fprintf(w, "kubeha-web version=%s host=%s\n", version, host)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if mode == "broken" || draining.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sig := <-stop
		// Endpoints were already removed while the pod's preStop pause ran; finish what is in
		// flight, close idle keep-alive connections, then exit.
		draining.Store(true)
		log.Printf("kubeha-web %s: %s received, draining", version, sig)
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout())
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Printf("kubeha-web: shutdown: %v", err)
		}
	}()
	if wait > 0 {
		log.Printf("kubeha-web %s (%s, / after %s) listening on %s", version, mode, wait, addr)
	} else {
		log.Printf("kubeha-web %s (%s) listening on %s", version, mode, addr)
	}
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("kubeha-web: %v", err)
	}
	// ListenAndServe returns as soon as Shutdown starts: wait for the requests in flight.
	<-drained
	log.Printf("kubeha-web %s: stopped", version)
}

func drainTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("DRAIN_TIMEOUT")); err == nil {
		return d
	}
	return 20 * time.Second
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
