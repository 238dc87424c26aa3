// Package control is the stand-in's HTTP JSON API for tests: node states, the applied configs, etcd snapshot
// digests, fault injection and the call log. It only ever listens on loopback.
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"homelab.local/e2e/talos-node/internal/calllog"
	"homelab.local/e2e/talos-node/internal/kube"
	"homelab.local/e2e/talos-node/internal/kwok"
	"homelab.local/e2e/talos-node/internal/node"
	"homelab.local/e2e/talos-node/internal/server"
	"homelab.local/e2e/talos-node/internal/snapshot"
)

// NodeView is a node's state plus its call counters.
type NodeView struct {
	node.State

	Counters   map[string]int   `json:"counters"`
	Faults     []server.Fault   `json:"faults,omitempty"`
	Port       int              `json:"port"`
	Kubernetes *kube.NodeStatus `json:"kubernetes,omitempty"` // with a kubernetes config, once the node has a configuration
}

// Handler serves the control API.
type Handler struct {
	Cluster *node.Cluster
	Server  *server.Server
	Log     *calllog.Log
	Kube    *kube.Manager // nil without a kubernetes config
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) //nolint:errcheck
}

func fail(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// ServeHTTP routes:
//
//	GET  /nodes                                 every node
//	GET  /nodes/<addr>                          one node
//	GET  /nodes/<addr>/config                   last applied machine config, verbatim (404 before any apply)
//	GET  /nodes/<addr>/etcd-snapshot/sha256     {bytes, sha256} of what EtcdSnapshot streams now (409 if it would fail)
//	PUT  /nodes/<addr>/etcd-snapshot-bytes      {"bytes": N}
//	POST /nodes/<addr>/faults                   {"method","kind","code","times","delayMs"}
//	GET  /nodes/<addr>/faults                   pending faults
//	GET  /log                                   every call so far
//	GET  /kubernetes                            clusters' control planes (phase, listeners, program PIDs), never-ready rules
//	PUT  /kubernetes/never-ready                {"namespace","labelSelector"}: those pods stay Running, never Ready
//	DELETE /kubernetes/never-ready              that rule (body) or every rule (no body)
//	POST /nodes/<addr>/kubernetes/apiserver/stop|start   a control plane's API server
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")

	switch {
	case parts[0] == "kubernetes":
		h.kubernetes(w, r, strings.Join(parts[1:], "/"))
	case len(parts) == 1 && parts[0] == "log" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, h.Log.Entries())
	case len(parts) == 1 && parts[0] == "nodes" && r.Method == http.MethodGet:
		views := []NodeView{}
		for _, st := range h.Cluster.States() {
			views = append(views, h.view(st))
		}

		writeJSON(w, http.StatusOK, views)
	case len(parts) >= 2 && parts[0] == "nodes":
		h.node(w, r, parts[1], strings.Join(parts[2:], "/"))
	default:
		fail(w, http.StatusNotFound, "no route %s %s (see GET /nodes, /nodes/<addr>/config, /nodes/<addr>/faults, /log)", r.Method, r.URL.Path)
	}
}

func (h *Handler) view(st node.State) NodeView {
	v := NodeView{State: st, Counters: h.Log.Counters(st.Address), Faults: h.Server.Faults(st.Address), Port: h.Server.Port()}

	if h.Kube != nil {
		v.Kubernetes = h.Kube.NodeStatus(st.Address)
	}

	return v
}

// errNoKubernetes is the answer to Kubernetes routes of a stand-in configured without Kubernetes.
const errNoKubernetes = "the stand-in runs no Kubernetes (its config has no \"kubernetes\" object)"

func (h *Handler) kubernetes(w http.ResponseWriter, r *http.Request, rest string) {
	if h.Kube == nil {
		if rest == "" && r.Method == http.MethodGet {
			writeJSON(w, http.StatusOK, map[string]any{"enabled": false})

			return
		}

		fail(w, http.StatusConflict, errNoKubernetes)

		return
	}

	switch {
	case rest == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, struct {
			Enabled bool `json:"enabled"`
			kube.Status
		}{true, h.Kube.Status()})
	case rest == "never-ready" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, h.Kube.NeverReady())
	case rest == "never-ready" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		var rule kwok.Rule
		if err := decode(r.Body, &rule); err != nil {
			fail(w, http.StatusBadRequest, "never-ready: body must be {\"namespace\":\"...\",\"labelSelector\":\"app=x\"}: %v", err)

			return
		}

		if err := h.Kube.SetNeverReady(rule); err != nil {
			fail(w, http.StatusBadRequest, "%v", err)

			return
		}

		writeJSON(w, http.StatusOK, h.Kube.NeverReady())
	case rest == "never-ready" && r.Method == http.MethodDelete:
		var rule kwok.Rule

		switch err := decode(r.Body, &rule); {
		case err != nil && err.Error() == "empty body":
			h.Kube.ClearNeverReady(nil)
		case err != nil:
			fail(w, http.StatusBadRequest, "never-ready: %v", err)

			return
		default:
			h.Kube.ClearNeverReady(&rule)
		}

		writeJSON(w, http.StatusOK, h.Kube.NeverReady())
	default:
		fail(w, http.StatusNotFound, "no route %s %s (see GET /kubernetes, PUT/DELETE /kubernetes/never-ready)", r.Method, r.URL.Path)
	}
}

// apiServer stops or starts a control plane's API server.
func (h *Handler) apiServer(w http.ResponseWriter, addr, action string) {
	if h.Kube == nil {
		fail(w, http.StatusConflict, errNoKubernetes)

		return
	}

	st := h.Kube.NodeStatus(addr)
	if st == nil || st.APIServer == "" {
		fail(w, http.StatusConflict, "%s runs no API server: it is not a configured control plane of a bootstrapped cluster", addr)

		return
	}

	if action == "stop" {
		h.Kube.StopAPIServer(addr)
	} else {
		h.Kube.StartAPIServer(addr)
	}

	writeJSON(w, http.StatusOK, h.Kube.NodeStatus(addr))
}

func (h *Handler) node(w http.ResponseWriter, r *http.Request, addr, rest string) {
	n := h.Cluster.Node(addr)
	if n == nil {
		fail(w, http.StatusNotFound, "no node %s; nodes are %v", addr, h.Cluster.Addresses())

		return
	}

	switch {
	case rest == "" && r.Method == http.MethodGet:
		for _, st := range h.Cluster.States() {
			if st.Address == addr {
				writeJSON(w, http.StatusOK, h.view(st))
			}
		}
	case rest == "config" && r.Method == http.MethodGet:
		cfg := n.LastConfig()
		if cfg == nil {
			fail(w, http.StatusNotFound, "%s has not accepted a configuration yet", addr)

			return
		}

		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(cfg) //nolint:errcheck
	case rest == "etcd-snapshot/sha256" && r.Method == http.MethodGet:
		params, err := n.SnapshotParams()
		if err != nil {
			fail(w, http.StatusConflict, "%s: EtcdSnapshot would fail: %v", addr, err)

			return
		}

		size, sum, err := snapshot.Digest(params)
		if err != nil {
			fail(w, http.StatusInternalServerError, "%v", err)

			return
		}

		writeJSON(w, http.StatusOK, map[string]any{"bytes": size, "sha256": sum, "revision": params.Revision})
	case rest == "etcd-snapshot-bytes" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		var body struct {
			Bytes *int64 `json:"bytes"`
		}

		if err := decode(r.Body, &body); err != nil || body.Bytes == nil {
			fail(w, http.StatusBadRequest, "body must be {\"bytes\": <positive integer>}")

			return
		}

		if err := n.SetSnapshotBytes(*body.Bytes); err != nil {
			fail(w, http.StatusBadRequest, "%v", err)

			return
		}

		writeJSON(w, http.StatusOK, map[string]any{"bytes": *body.Bytes, "streamBytes": snapshot.Size(snapshot.Params{Bytes: *body.Bytes})})
	case rest == "faults" && r.Method == http.MethodPost:
		var f server.Fault
		if err := decode(r.Body, &f); err != nil {
			fail(w, http.StatusBadRequest, "fault: %v", err)

			return
		}

		if f.Kind == "apiserver-stop" || f.Kind == "apiserver-start" {
			h.apiServer(w, addr, strings.TrimPrefix(f.Kind, "apiserver-"))

			return
		}

		if err := h.Server.AddFault(addr, f); err != nil {
			fail(w, http.StatusBadRequest, "%v", err)

			return
		}

		for _, st := range h.Cluster.States() {
			if st.Address == addr {
				writeJSON(w, http.StatusOK, h.view(st))
			}
		}
	case (rest == "kubernetes/apiserver/stop" || rest == "kubernetes/apiserver/start") && r.Method == http.MethodPost:
		h.apiServer(w, addr, strings.TrimPrefix(rest, "kubernetes/apiserver/"))
	case rest == "faults" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, h.Server.Faults(addr))
	default:
		fail(w, http.StatusNotFound, "no route %s %s", r.Method, r.URL.Path)
	}
}

func decode(body io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(body, 1<<20))
	dec.DisallowUnknownFields()

	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body")
		}

		return err
	}

	return nil
}
