package live

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// raw sends a raw request and returns the status line and the rest.
func raw(t *testing.T, url, req string) (string, string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = io.WriteString(c, req)
	require.NoError(t, err)
	br := bufio.NewReader(c)
	status, err := br.ReadString('\n')
	if err != nil {
		return "", ""
	}
	rest, _ := io.ReadAll(br)
	return strings.TrimSpace(status), string(rest)
}

func TestServerAnswersBadRequests(t *testing.T) {
	_, ts := newServer(t, Config{Capture: func(string) (string, error) { return "x", nil }, CaptureLabels: []string{"Car"}})
	for _, c := range []struct{ req, status string }{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK"},
		{"GET /api/status?x=1 HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK"},
		{"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		{"GET /api/capture HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		{"GET /nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"GET nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"POST /api/capture HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", "HTTP/1.1 413 Content Too Large"},
		{"POST /api/capture HTTP/1.1\r\nContent-Length: x\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"POST /api/capture HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"POST /api/capture HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"label\":\"Car\"}", "HTTP/1.1 200 OK"},
	} {
		status, rest := raw(t, ts.URL, c.req)
		require.Equal(t, c.status, status, c.req)
		require.Contains(t, rest, "Connection: close\r\n", c.req)
	}
	// A header larger than the limit: the connection is dropped.
	status, _ := raw(t, ts.URL, "GET / HTTP/1.1\r\nX: "+strings.Repeat("a", 40<<10)+"\r\n\r\n")
	require.NotEqual(t, "HTTP/1.1 200 OK", status)
}

// A client that opens a connection and sends nothing does not hold up
// other requests or Close.
func TestServerClosesIdleConnections(t *testing.T) {
	s, ts := newServer(t, Config{})
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	require.NoError(t, err)
	defer c.Close()
	resp, err := http.Get(ts.URL + "/healthz") // others are still served
	require.NoError(t, err)
	resp.Body.Close()
	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for an idle client")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err, "the idle connection was closed")
}

func TestBasicAuthHeader(t *testing.T) {
	for h, want := range map[string][3]string{
		"Basic cGk6czNjcmV0":  {"pi", "s3cret", "true"},
		"basic cGk6czNjcmV0":  {"pi", "s3cret", "true"},
		"Basic cGk6YTpi":      {"pi", "a:b", "true"},
		"Bearer cGk6czNjcmV0": {"", "", "false"},
		"Basic !!!":           {"", "", "false"},
		"Basic bm9jb2xvbg==":  {"", "", "false"},
		"":                    {"", "", "false"},
	} {
		u, p, ok := basicAuth(h)
		require.Equal(t, want, [3]string{u, p, map[bool]string{true: "true", false: "false"}[ok]}, h)
	}
}
