package kube

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// forwarder is one node's API server address (<address>:6443): a TCP listener whose connections go to the
// cluster's real API server (TLS passes through; the certificate names every control plane). Closing it refuses
// new connections and cuts the open ones (watches included), as a stopped kube-apiserver does.
type forwarder struct {
	address string
	backend string
	lis     net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  chan struct{}
}

// listenForward starts a forwarder on address:port to backend (host:port).
func listenForward(address string, port int, backend string) (*forwarder, error) {
	var (
		lis net.Listener
		err error
	)

	// an address just released can take a moment to be free again
	for attempt := range 25 {
		lis, err = net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
		if err == nil || attempt == 24 {
			break
		}

		time.Sleep(40 * time.Millisecond)
	}

	if err != nil {
		return nil, err
	}

	f := &forwarder{address: address, backend: backend, lis: lis, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}

	go f.serve()

	return f, nil
}

func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()

	select {
	case <-f.done:
		return false
	default:
	}

	f.conns[c] = struct{}{}

	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()

	_ = c.Close() //nolint:errcheck
}

func (f *forwarder) serve() {
	for {
		c, err := f.lis.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}

			continue
		}

		go f.pipe(c)
	}
}

func (f *forwarder) pipe(client net.Conn) {
	if !f.track(client) {
		_ = client.Close() //nolint:errcheck

		return
	}

	defer f.untrack(client)

	server, err := net.DialTimeout("tcp", f.backend, 5*time.Second)
	if err != nil {
		return
	}

	if !f.track(server) {
		_ = server.Close() //nolint:errcheck

		return
	}

	defer f.untrack(server)

	done := make(chan struct{}, 2)

	go func() {
		_, _ = io.Copy(server, client) //nolint:errcheck
		done <- struct{}{}
	}()

	go func() {
		_, _ = io.Copy(client, server) //nolint:errcheck
		done <- struct{}{}
	}()

	<-done
}

// Close stops listening and cuts every open connection.
func (f *forwarder) Close() {
	f.mu.Lock()

	select {
	case <-f.done:
		f.mu.Unlock()

		return
	default:
	}

	close(f.done)

	conns := make([]net.Conn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}

	f.mu.Unlock()

	_ = f.lis.Close() //nolint:errcheck

	for _, c := range conns {
		_ = c.Close() //nolint:errcheck
	}
}
