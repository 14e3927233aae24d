// Command fetch is the HTTP client of kubeha's client image. Called as `wget` or `curl` it takes
// the subset of their flags that checks use (so a check written for busybox or curl images runs
// unchanged), with Go's own resolver, which needs no C library in a scratch image:
//
//	wget [-q|--quiet] [-O FILE|-] [-T SECONDS|--timeout=SECONDS] [-S] [--spider] URL
//	curl [-f] [-s] [-S] [-o FILE] [-m SECONDS] [-w '%{http_code}'] [-H 'K: V'] [-I] URL
//
// Exit codes follow the originals: wget 1 on any failure, curl 6/7/22/28 (resolve, connect,
// HTTP error with -f, timeout).
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type request struct {
	url, out, writeOut string
	timeout            time.Duration
	failOnHTTP, head   bool
	showStatus, quiet  bool
	headers            []string
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "fetch" && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	var (
		r   request
		err error
	)
	switch name {
	case "wget":
		r, err = parseWget(args)
	case "curl":
		r, err = parseCurl(args)
	default:
		err = fmt.Errorf("call me as wget or curl, not %q", name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	os.Exit(do(name, r))
}

// argList walks command-line arguments; value() takes the argument after a flag.
type argList struct {
	args []string
	i    int
}

func (l *argList) next() (string, bool) {
	if l.i >= len(l.args) {
		return "", false
	}
	l.i++
	return l.args[l.i-1], true
}

func (l *argList) value(flag string) (string, error) {
	v, ok := l.next()
	if !ok {
		return "", fmt.Errorf("%s needs a value", flag)
	}
	return v, nil
}

func seconds(flag, v string) (time.Duration, error) {
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || s < 0 {
		return 0, fmt.Errorf("bad %s %q", flag, v)
	}
	return time.Duration(s * float64(time.Second)), nil
}

func parseWget(args []string) (request, error) {
	r := request{out: "index.html", timeout: 900 * time.Second, failOnHTTP: true}
	l := &argList{args: args}
	for a, ok := l.next(); ok; a, ok = l.next() {
		var err error
		switch {
		case a == "-q" || a == "--quiet":
			r.quiet = true
		case a == "-qO-":
			r.quiet, r.out = true, "-"
		case a == "-S":
			r.showStatus = true
		case a == "--spider":
			r.head, r.out = true, ""
		case a == "-O":
			r.out, err = l.value(a)
		case strings.HasPrefix(a, "-O"):
			r.out = a[2:]
		case strings.HasPrefix(a, "--output-document="):
			r.out = strings.TrimPrefix(a, "--output-document=")
		case a == "-T":
			var v string
			if v, err = l.value(a); err == nil {
				r.timeout, err = seconds(a, v)
			}
		case strings.HasPrefix(a, "-T"):
			r.timeout, err = seconds("-T", a[2:])
		case strings.HasPrefix(a, "--timeout="):
			r.timeout, err = seconds("--timeout", strings.TrimPrefix(a, "--timeout="))
		case strings.HasPrefix(a, "-"):
			err = fmt.Errorf("unsupported option %s", a)
		default:
			r.url = a
		}
		if err != nil {
			return r, err
		}
	}
	if r.url == "" {
		return r, errors.New("missing URL")
	}
	return r, nil
}

func parseCurl(args []string) (request, error) {
	r := request{out: "-"}
	l := &argList{args: args}
	for a, ok := l.next(); ok; a, ok = l.next() {
		var (
			v   string
			err error
		)
		switch {
		case a == "-o":
			r.out, err = l.value(a)
		case a == "-m" || a == "--max-time":
			if v, err = l.value(a); err == nil {
				r.timeout, err = seconds(a, v)
			}
		case a == "-w" || a == "--write-out":
			r.writeOut, err = l.value(a)
		case a == "-H" || a == "--header":
			if v, err = l.value(a); err == nil {
				r.headers = append(r.headers, v)
			}
		case strings.HasPrefix(a, "--"):
			err = curlFlag(&r, a)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for _, c := range a[1:] { // single or combined short flags such as -fsS
				if err = curlFlag(&r, "-"+string(c)); err != nil {
					break
				}
			}
		default:
			r.url = a
		}
		if err != nil {
			return r, err
		}
	}
	if r.url == "" {
		return r, errors.New("missing URL")
	}
	if !strings.Contains(r.url, "://") {
		r.url = "http://" + r.url
	}
	return r, nil
}

func curlFlag(r *request, f string) error {
	switch f {
	case "-f", "--fail":
		r.failOnHTTP = true
	case "-s", "--silent":
		r.quiet = true
	case "-S", "--show-error":
		r.showStatus = true
	case "-I", "--head":
		r.head = true
	case "-L", "--location":
		// redirects are followed anyway
	default:
		return fmt.Errorf("unsupported option %s", f)
	}
	return nil
}

func do(tool string, r request) int {
	client := &http.Client{Timeout: r.timeout}
	method := http.MethodGet
	if r.head {
		method = http.MethodHead
	}
	req, err := http.NewRequest(method, r.url, nil)
	if err != nil {
		return fail(tool, r, err, 3)
	}
	req.Header.Set("User-Agent", "kubeha-fetch/"+tool)
	for _, h := range r.headers {
		if k, v, ok := strings.Cut(h, ":"); ok {
			if strings.EqualFold(strings.TrimSpace(k), "host") {
				req.Host = strings.TrimSpace(v)
			} else {
				req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(tool, r, err, classify(err))
	}
	defer resp.Body.Close()
	if tool == "wget" && r.showStatus {
		fmt.Fprintf(os.Stderr, "  %s %s\n", resp.Proto, resp.Status)
	}
	if resp.StatusCode >= 400 && r.failOnHTTP {
		if tool == "wget" {
			fmt.Fprintf(os.Stderr, "wget: server returned error: %s %s\n", resp.Proto, resp.Status)
			return 1
		}
		if !r.quiet || r.showStatus {
			fmt.Fprintf(os.Stderr, "curl: (22) The requested URL returned error: %d\n", resp.StatusCode)
		}
		writeOut(r, resp)
		return 22
	}
	var w io.Writer = io.Discard
	if r.out == "-" {
		w = os.Stdout
	} else if r.out != "" {
		f, err := os.Create(r.out)
		if err != nil {
			return fail(tool, r, err, 23)
		}
		defer f.Close()
		w = f
	}
	if r.head && tool == "curl" {
		fmt.Fprintf(w, "%s %s\r\n", resp.Proto, resp.Status)
		_ = resp.Header.Write(w)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fail(tool, r, err, 18)
	}
	writeOut(r, resp)
	return 0
}

func writeOut(r request, resp *http.Response) {
	if r.writeOut != "" {
		out := strings.ReplaceAll(r.writeOut, "%{http_code}", strconv.Itoa(resp.StatusCode))
		fmt.Print(strings.ReplaceAll(out, `\n`, "\n"))
	}
}

func classify(err error) int {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return 6
	case errors.As(err, &netErr) && netErr.Timeout():
		return 28
	default:
		return 7
	}
}

func fail(tool string, r request, err error, curlCode int) int {
	if tool == "wget" {
		fmt.Fprintf(os.Stderr, "wget: %v\n", err)
		return 1
	}
	if !r.quiet || r.showStatus {
		fmt.Fprintf(os.Stderr, "curl: (%d) %v\n", curlCode, err)
	}
	return curlCode
}
