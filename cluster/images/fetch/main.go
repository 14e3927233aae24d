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

func parseWget(args []string) (request, error) {
	r := request{out: "index.html", timeout: 900 * time.Second, failOnHTTP: true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch {
		case a == "-q" || a == "--quiet":
			r.quiet = true
		case strings.HasPrefix(a, "--timeout="), strings.HasPrefix(a, "-T") && len(a) > 2:
			v := strings.TrimPrefix(strings.TrimPrefix(a, "--timeout="), "-T")
			s, err := strconv.Atoi(v)
			if err != nil {
				return r, fmt.Errorf("bad timeout %q", v)
			}
			r.timeout = time.Duration(s) * time.Second
		case strings.HasPrefix(a, "--output-document="):
			r.out = strings.TrimPrefix(a, "--output-document=")
		case a == "-S":
			r.showStatus = true
		case a == "--spider":
			r.head, r.out = true, ""
		case a == "-O":
			v, err := next()
			if err != nil {
				return r, err
			}
			r.out = v
		case strings.HasPrefix(a, "-O") && len(a) > 2:
			r.out = a[2:]
		case a == "-T":
			v, err := next()
			if err != nil {
				return r, err
			}
			s, err := strconv.Atoi(v)
			if err != nil {
				return r, fmt.Errorf("bad -T %q", v)
			}
			r.timeout = time.Duration(s) * time.Second
		case a == "-qO-":
			r.quiet, r.out = true, "-"
		case strings.HasPrefix(a, "-"):
			return r, fmt.Errorf("unsupported option %s", a)
		default:
			r.url = a
		}
	}
	if r.url == "" {
		return r, errors.New("missing URL")
	}
	return r, nil
}

func parseCurl(args []string) (request, error) {
	r := request{out: "-", timeout: 0, quiet: false}
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 2 &&
			!strings.ContainsAny(a[1:], "omwH") {
			// combined short flags such as -fsS
			for _, c := range a[1:] {
				if err := curlFlag(&r, "-"+string(c)); err != nil {
					return r, err
				}
			}
			continue
		}
		switch a {
		case "-o":
			v, err := next()
			if err != nil {
				return r, err
			}
			r.out = v
		case "-m", "--max-time":
			v, err := next()
			if err != nil {
				return r, err
			}
			s, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return r, fmt.Errorf("bad %s %q", a, v)
			}
			r.timeout = time.Duration(s * float64(time.Second))
		case "-w", "--write-out":
			v, err := next()
			if err != nil {
				return r, err
			}
			r.writeOut = v
		case "-H", "--header":
			v, err := next()
			if err != nil {
				return r, err
			}
			r.headers = append(r.headers, v)
		default:
			if strings.HasPrefix(a, "-") {
				if err := curlFlag(&r, a); err != nil {
					return r, err
				}
				continue
			}
			r.url = a
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
