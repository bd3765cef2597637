package live

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The page is served by a small HTTP/1.1 server of its own rather than
// net/http, which (with the crypto/tls it links) would add about 2.4 MB to
// the device binary. It takes one request per connection (Connection:
// close), GET and POST, headers up to 16 KiB and bodies up to 4 KiB.

const (
	maxHeaderBytes = 16 << 10
	maxBodyBytes   = 4 << 10
	readTimeout    = 10 * time.Second
	writeTimeout   = 10 * time.Second
)

// request is a parsed HTTP request.
type request struct {
	method, path string
	header       textproto.MIMEHeader
	body         []byte
	// ctx is done when the client goes away or the server closes.
	ctx context.Context
}

// response writes an HTTP response on a connection that closes after it.
type response struct {
	conn net.Conn
	w    *bufio.Writer
	err  error
}

// start writes the status line and headers (name, value pairs).
func (r *response) start(code int, contentType string, headers ...string) {
	fmt.Fprintf(r.w, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\nConnection: close\r\n",
		code, statusText(code), contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(r.w, "%s: %s\r\n", headers[i], headers[i+1])
	}
	r.w.WriteString("\r\n")
}

// Write writes body bytes (buffered; see flush).
func (r *response) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.w.Write(p)
	r.err = err
	return n, err
}

// flush sends what is buffered, within the write timeout.
func (r *response) flush() error {
	if r.err != nil {
		return r.err
	}
	r.conn.SetWriteDeadline(time.Now().Add(writeTimeout)) // a stuck client is dropped
	r.err = r.w.Flush()
	return r.err
}

// reply sends a whole response.
func (r *response) reply(code int, contentType string, body []byte, headers ...string) {
	r.start(code, contentType, headers...)
	r.Write(body)
}

// fail sends a plain-text error.
func (r *response) fail(code int, msg string, headers ...string) {
	r.reply(code, "text/plain; charset=utf-8", []byte(msg+"\n"), headers...)
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 413:
		return "Content Too Large"
	case 415:
		return "Unsupported Media Type"
	case 500:
		return "Internal Server Error"
	case 503:
		return "Service Unavailable"
	}
	return "Status"
}

// httpServer accepts connections and hands each request to handle.
type httpServer struct {
	ln     net.Listener
	handle func(*response, *request)
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func serve(ln net.Listener, handle func(*response, *request)) *httpServer {
	ctx, cancel := context.WithCancel(context.Background())
	s := &httpServer{ln: ln, handle: handle, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s
}

func (s *httpServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of file descriptors, say
			continue
		}
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.conn(c)
	}
}

// close stops accepting, closes every connection and waits for handlers.
func (s *httpServer) close() error {
	s.cancel()
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *httpServer) conn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	c.SetReadDeadline(time.Now().Add(readTimeout))
	resp := &response{conn: c, w: bufio.NewWriterSize(c, 4096)}
	req, code, err := readRequest(bufio.NewReaderSize(io.LimitReader(c, maxHeaderBytes+maxBodyBytes), 4096))
	if err != nil {
		if code != 0 {
			resp.fail(code, err.Error())
			resp.flush()
		}
		return
	}
	c.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() { // the client closing its end ends the request
		var b [1]byte
		c.Read(b[:])
		cancel()
	}()
	req.ctx = ctx
	s.handle(resp, req)
	resp.flush()
}

// readRequest parses a request. On a malformed one it returns the status
// code to answer with (0: answer nothing, the connection just closed).
func readRequest(br *bufio.Reader) (*request, int, error) {
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, 0, err
	}
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !strings.HasPrefix(proto, "HTTP/1.") || !strings.HasPrefix(target, "/") {
		return nil, 400, fmt.Errorf("malformed request line %q", line)
	}
	header, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, 400, fmt.Errorf("malformed header: %v", err)
	}
	path, _, _ := strings.Cut(target, "?")
	req := &request{method: method, path: path, header: header}
	if cl := header.Get("Content-Length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 {
			return nil, 400, fmt.Errorf("bad Content-Length %q", cl)
		}
		if n > maxBodyBytes {
			return nil, 413, fmt.Errorf("body of %d bytes: at most %d", n, maxBodyBytes)
		}
		req.body = make([]byte, n)
		if _, err := io.ReadFull(br, req.body); err != nil {
			return nil, 400, fmt.Errorf("short body: %v", err)
		}
	} else if header.Get("Transfer-Encoding") != "" {
		return nil, 400, fmt.Errorf("chunked bodies are not supported")
	}
	return req, 0, nil
}
