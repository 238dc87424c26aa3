// Package config reads and checks the stand-in's own configuration file (not a Talos machine config).
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver/v4"
)

// DefaultPort is the port of Talos' API (apid).
const DefaultPort = 50000

// Disk is one block device a node reports.
type Disk struct {
	DeviceName string `json:"deviceName"`
	Size       uint64 `json:"size"`
	Model      string `json:"model,omitempty"`
	Type       string `json:"type,omitempty"` // nvme, ssd, hdd, sd, cd
}

// Node is one Talos node the stand-in plays.
type Node struct {
	Address           string `json:"address"`
	TalosVersion      string `json:"talosVersion"`
	MemoryMiB         uint64 `json:"memoryMiB,omitempty"`
	Disks             []Disk `json:"disks,omitempty"`
	EtcdSnapshotBytes int64  `json:"etcdSnapshotBytes,omitempty"`
}

// File is the whole configuration file.
type File struct {
	Port           int    `json:"port"`
	InstallDelayMs int    `json:"installDelayMs"`
	RebootDelayMs  int    `json:"rebootDelayMs"`
	Nodes          []Node `json:"nodes"`
	// Kubernetes, when given, makes a bootstrapped control plane run Kubernetes' real control plane (etcd,
	// kube-apiserver, kube-controller-manager, kube-scheduler) and kwok as the kubelets. Without it the stand-in
	// runs no Kubernetes at all.
	Kubernetes *Kubernetes `json:"kubernetes,omitempty"`
}

// Kubernetes is where the control plane's programs are and how long they may take to start.
type Kubernetes struct {
	// BinDir holds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok.
	BinDir string `json:"binDir"`
	// WorkDir is the parent of the temporary folder (certificates, etcd data, logs) made per run and removed on
	// exit; default: the system's temporary folder.
	WorkDir string `json:"workDir,omitempty"`
	// LogDir, when given, keeps the programs' output there (one file per program and cluster) after exit.
	LogDir string `json:"logDir,omitempty"`
	// StartTimeoutMs is how long the API server may take to answer /readyz after it was started (default 120000).
	StartTimeoutMs int `json:"startTimeoutMs,omitempty"`
}

// KubernetesPrograms are the executables binDir must hold.
var KubernetesPrograms = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// DefaultStartTimeoutMs is how long the API server may take to become ready.
const DefaultStartTimeoutMs = 120000

// Defaults for optional node settings.
const (
	DefaultMemoryMiB         = 8192
	DefaultEtcdSnapshotBytes = 1 << 20
	DefaultDelayMs           = 500
)

// DefaultDisk is what a node without configured disks reports.
var DefaultDisk = Disk{DeviceName: "/dev/sda", Size: 256 << 30, Model: "QEMU HARDDISK", Type: "ssd"}

var diskTypes = map[string]bool{"": true, "nvme": true, "ssd": true, "hdd": true, "sd": true, "cd": true}

// Load reads, decodes and checks the file; every problem is reported at once.
func Load(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}

	return Parse(raw)
}

// Parse decodes and checks a configuration; unknown keys are refused (a typo must not pass silently).
func Parse(raw []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()

	f := &File{Port: -1, InstallDelayMs: -1, RebootDelayMs: -1}
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("config is not valid JSON for the stand-in: %w", err)
	}

	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("config: trailing data after the JSON object")
	}

	if f.Port == -1 {
		f.Port = DefaultPort
	}

	if f.InstallDelayMs == -1 {
		f.InstallDelayMs = DefaultDelayMs
	}

	if f.RebootDelayMs == -1 {
		f.RebootDelayMs = DefaultDelayMs
	}

	return f, f.check()
}

func (f *File) check() error {
	var problems []string

	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if f.Port < 0 || f.Port > 65535 {
		add("port: %d is not a TCP port (0-65535; 0 picks a free one shared by every node)", f.Port)
	}

	if f.InstallDelayMs < 0 {
		add("installDelayMs: must be 0 or more (got %d)", f.InstallDelayMs)
	}

	if f.RebootDelayMs < 0 {
		add("rebootDelayMs: must be 0 or more (got %d)", f.RebootDelayMs)
	}

	if len(f.Nodes) == 0 {
		add("nodes: at least one node is required, e.g. {\"address\":\"127.0.0.2\",\"talosVersion\":\"v1.12.1\"}")
	}

	seen := map[string]int{}

	for i := range f.Nodes {
		n := &f.Nodes[i]
		key := fmt.Sprintf("nodes[%d]", i)

		addr, err := netip.ParseAddr(n.Address)

		switch {
		case err != nil:
			add("%s.address: %q is not an IP address; use a loopback address such as 127.0.0.2", key, n.Address)
		case !addr.IsLoopback():
			add("%s.address: %s is not a loopback address; the stand-in only listens on 127.0.0.0/8 or ::1", key, n.Address)
		default:
			n.Address = addr.String()

			if j, dup := seen[n.Address]; dup {
				add("%s.address: %s is already used by nodes[%d]; every node needs its own address", key, n.Address, j)
			}

			seen[n.Address] = i
		}

		if v, err := semver.ParseTolerant(n.TalosVersion); err != nil || !strings.HasPrefix(n.TalosVersion, "v") {
			add("%s.talosVersion: %q is not a Talos version tag such as v1.12.1", key, n.TalosVersion)
		} else if v.Major != 1 || v.Minor < 2 {
			add("%s.talosVersion: %s is outside the versions machinery's compatibility tables know (v1.2 or later)", key, n.TalosVersion)
		}

		if n.MemoryMiB == 0 {
			n.MemoryMiB = DefaultMemoryMiB
		}

		if n.EtcdSnapshotBytes == 0 {
			n.EtcdSnapshotBytes = DefaultEtcdSnapshotBytes
		}

		if n.EtcdSnapshotBytes < 0 {
			add("%s.etcdSnapshotBytes: must be positive (got %d)", key, n.EtcdSnapshotBytes)
		}

		if len(n.Disks) == 0 {
			n.Disks = []Disk{DefaultDisk}
		}

		devs := map[string]bool{}

		for j, d := range n.Disks {
			dkey := fmt.Sprintf("%s.disks[%d]", key, j)

			if !strings.HasPrefix(d.DeviceName, "/dev/") || len(d.DeviceName) <= len("/dev/") {
				add("%s.deviceName: %q must be a device path such as /dev/nvme0n1", dkey, d.DeviceName)
			}

			if devs[d.DeviceName] {
				add("%s.deviceName: %s is listed twice", dkey, d.DeviceName)
			}

			devs[d.DeviceName] = true

			if d.Size == 0 {
				add("%s.size: the size in bytes is required", dkey)
			}

			if !diskTypes[strings.ToLower(d.Type)] {
				add("%s.type: %q is not one of nvme, ssd, hdd, sd, cd", dkey, d.Type)
			}

			n.Disks[j].Type = strings.ToLower(d.Type)
		}
	}

	if f.Kubernetes != nil {
		f.Kubernetes.check(add)
	}

	if len(problems) > 0 {
		return fmt.Errorf("config has %d problem(s):\n  - %s", len(problems), strings.Join(problems, "\n  - "))
	}

	return nil
}

func (k *Kubernetes) check(add func(format string, args ...any)) {
	if k.StartTimeoutMs == 0 {
		k.StartTimeoutMs = DefaultStartTimeoutMs
	}

	if k.StartTimeoutMs < 0 {
		add("kubernetes.startTimeoutMs: must be positive (got %d)", k.StartTimeoutMs)
	}

	for _, dir := range []struct{ key, path string }{{"workDir", k.WorkDir}, {"logDir", k.LogDir}} {
		if dir.path == "" {
			continue
		}

		if st, err := os.Stat(dir.path); err != nil || !st.IsDir() {
			add("kubernetes.%s: %q is not an existing folder", dir.key, dir.path)
		}
	}

	if k.BinDir == "" {
		add("kubernetes.binDir: the folder holding %s is required", strings.Join(KubernetesPrograms, ", "))

		return
	}

	if st, err := os.Stat(k.BinDir); err != nil || !st.IsDir() {
		add("kubernetes.binDir: %q is not an existing folder", k.BinDir)

		return
	}

	for _, prog := range KubernetesPrograms {
		st, err := os.Stat(filepath.Join(k.BinDir, prog))

		switch {
		case err != nil:
			add("kubernetes.binDir: %s is missing from %s", prog, k.BinDir)
		case st.IsDir() || st.Mode()&0o111 == 0:
			add("kubernetes.binDir: %s in %s is not an executable file", prog, k.BinDir)
		}
	}
}
