package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// partialBinDir holds etcd as a plain (not executable) file and kube-controller-manager only.
func partialBinDir(t *testing.T) string {
	t.Helper()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "etcd"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(dir, "kube-controller-manager"), nil, 0o700); err != nil {
		t.Fatal(err)
	}

	return dir
}

func completeBinDir(t *testing.T) string {
	t.Helper()

	dir := t.TempDir()
	for _, p := range KubernetesPrograms {
		if err := os.WriteFile(filepath.Join(dir, p), nil, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	return dir
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		json  string
		want  []string // substrings of the error; none = valid
		check func(t *testing.T, f *File)
	}{
		{
			name: "the brief's example with defaults filled in",
			json: `{"port":50000,"installDelayMs":500,"rebootDelayMs":500,"nodes":[{"address":"127.0.0.2","talosVersion":"v1.12.1","memoryMiB":8192,
				"disks":[{"deviceName":"/dev/nvme0n1","size":512110190592,"model":"Samsung SSD 980","type":"nvme"}],"etcdSnapshotBytes":1048576}]}`,
			check: func(t *testing.T, f *File) {
				if f.Port != 50000 || f.Nodes[0].Disks[0].Type != "nvme" || f.Nodes[0].EtcdSnapshotBytes != 1<<20 {
					t.Fatalf("%+v", f)
				}
			},
		},
		{
			name: "omitted settings get Talos-like defaults",
			json: `{"nodes":[{"address":"127.0.0.3","talosVersion":"v1.13.0"}]}`,
			check: func(t *testing.T, f *File) {
				n := f.Nodes[0]
				if f.Port != DefaultPort || f.InstallDelayMs != DefaultDelayMs || n.MemoryMiB != DefaultMemoryMiB || len(n.Disks) != 1 || n.EtcdSnapshotBytes != DefaultEtcdSnapshotBytes {
					t.Fatalf("%+v", f)
				}
			},
		},
		{
			name: "every problem is reported at once, naming the setting",
			json: `{"port":70000,"nodes":[{"address":"192.168.1.10","talosVersion":"1.12"},{"address":"127.0.0.2","talosVersion":"v1.12.1","disks":[{"deviceName":"sda","size":0,"type":"floppy"}]},{"address":"127.0.0.2","talosVersion":"v1.12.1"}]}`,
			want: []string{"port: 70000", "nodes[0].address: 192.168.1.10 is not a loopback address", "nodes[0].talosVersion", "nodes[1].disks[0].deviceName", "nodes[1].disks[0].size", "nodes[1].disks[0].type", "nodes[2].address: 127.0.0.2 is already used by nodes[1]"},
		},
		{
			name: "kubernetes: every missing program and bad setting is named",
			json: `{"nodes":[{"address":"127.0.0.2","talosVersion":"v1.12.1"}],"kubernetes":{"binDir":"` + partialBinDir(t) + `","startTimeoutMs":-1,"workDir":"/nonexistent"}}`,
			want: []string{"kubernetes.startTimeoutMs", "kubernetes.workDir", "kube-apiserver is missing", "kube-scheduler is missing", "kwok is missing", "etcd in "},
		},
		{
			name: "kubernetes: binDir is required",
			json: `{"nodes":[{"address":"127.0.0.2","talosVersion":"v1.12.1"}],"kubernetes":{}}`,
			want: []string{"kubernetes.binDir: the folder holding etcd, kube-apiserver"},
		},
		{
			name: "kubernetes: unknown key",
			json: `{"nodes":[{"address":"127.0.0.2","talosVersion":"v1.12.1"}],"kubernetes":{"binFolder":"/x"}}`,
			want: []string{"unknown field \"binFolder\""},
		},
		{
			name: "kubernetes: a complete folder passes, with the default timeout",
			json: `{"nodes":[{"address":"127.0.0.2","talosVersion":"v1.12.1"}],"kubernetes":{"binDir":"` + completeBinDir(t) + `"}}`,
			check: func(t *testing.T, f *File) {
				if f.Kubernetes == nil || f.Kubernetes.StartTimeoutMs != DefaultStartTimeoutMs {
					t.Fatalf("%+v", f.Kubernetes)
				}
			},
		},
		{
			name: "without kubernetes the stand-in runs none",
			json: `{"nodes":[{"address":"127.0.0.2","talosVersion":"v1.12.1"}]}`,
			check: func(t *testing.T, f *File) {
				if f.Kubernetes != nil {
					t.Fatalf("%+v", f.Kubernetes)
				}
			},
		},
		{name: "no nodes", json: `{"port":50000,"nodes":[]}`, want: []string{"nodes: at least one node"}},
		{name: "unknown key (a typo)", json: `{"nodes":[{"adress":"127.0.0.2"}]}`, want: []string{"unknown field \"adress\""}},
		{name: "not JSON", json: `port: 50000`, want: []string{"not valid JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.json))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}

				tc.check(t, f)

				return
			}

			if err == nil {
				t.Fatal("accepted")
			}

			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
