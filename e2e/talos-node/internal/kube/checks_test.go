package kube_test

import (
	stdx509 "crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// checkKubeconfig: the admin kubeconfig points at the cluster endpoint with a system:masters certificate valid
// for more than 30 days.
func checkKubeconfig(t *testing.T, raw []byte, server string) {
	t.Helper()

	cfg, err := clientcmd.Load(raw)
	if err != nil {
		t.Fatal(err)
	}

	ctx := cfg.Contexts[cfg.CurrentContext]
	if got := cfg.Clusters[ctx.Cluster].Server; got != server {
		t.Fatalf("kubeconfig server %s, want %s", got, server)
	}

	block, _ := pem.Decode(cfg.AuthInfos[ctx.AuthInfo].ClientCertificateData)

	cert, err := stdx509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	if !slices.Contains(cert.Subject.Organization, "system:masters") || time.Until(cert.NotAfter) < 30*24*time.Hour {
		t.Fatalf("kubeconfig client certificate %v valid until %s", cert.Subject, cert.NotAfter)
	}
}

// checkMirrorPods: each control plane runs the three mirror pods, Running and Ready, with the kubelet's and
// machined's annotations and the config's images.
func checkMirrorPods(t *testing.T, cs kubernetes.Interface, e *env, nodes []string, version string) {
	t.Helper()

	ctx := timeoutCtx(t, 20*time.Second)

	for _, app := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=" + app})
		if err != nil {
			t.Fatal(err)
		}

		if len(pods.Items) != len(nodes) {
			t.Fatalf("%d %s pods, want one per control plane (%v)", len(pods.Items), app, nodes)
		}

		for i := range pods.Items {
			p := &pods.Items[i]

			if !slices.Contains(nodes, p.Spec.NodeName) || p.Name != app+"-"+p.Spec.NodeName {
				t.Errorf("mirror pod %s on %s", p.Name, p.Spec.NodeName)
			}

			if p.Annotations["kubernetes.io/config.mirror"] == "" || p.Annotations["kubernetes.io/config.source"] != "http" ||
				p.Annotations["talos.dev/config-version"] == "" || p.OwnerReferences[0].Kind != "Node" {
				t.Errorf("mirror pod %s annotations %v owners %v", p.Name, p.Annotations, p.OwnerReferences)
			}

			if img := p.Spec.Containers[0].Image; img != "registry.k8s.io/"+app+":"+version || p.Spec.Containers[0].Name != app {
				t.Errorf("mirror pod %s container %s image %s", p.Name, p.Spec.Containers[0].Name, img)
			}

			if !podIsReady(p) || p.Status.HostIP == "" {
				t.Errorf("mirror pod %s: ready %v hostIP %q", p.Name, podIsReady(p), p.Status.HostIP)
			}
		}
	}
}

// checkCOSI: what talosctl and the health check read of a control plane over COSI.
func checkCOSI(t *testing.T, e *env, cp string) {
	t.Helper()

	ctx := client.WithNode(timeoutCtx(t, 20*time.Second), cp)
	c := e.talos(t, cp)

	statuses, err := safe.StateListAll[*k8s.StaticPodStatus](ctx, c.COSI)
	if err != nil {
		t.Fatal(err)
	}

	var ids []string
	for s := range statuses.All() {
		ids = append(ids, s.Metadata().ID())

		if s.TypedSpec().PodStatus["phase"] != "Running" {
			t.Errorf("static pod status %s: %v", s.Metadata().ID(), s.TypedSpec().PodStatus["phase"])
		}
	}

	if len(ids) != 3 || !strings.HasPrefix(ids[0], "kube-system/kube-apiserver-") {
		t.Fatalf("StaticPodStatuses %v", ids)
	}

	bmc, err := safe.StateGetByID[*k8s.BootstrapManifestsConfig](ctx, c.COSI, k8s.BootstrapManifestsConfigID)
	if err != nil || bmc.TypedSpec().CNIName != "flannel" || !bmc.TypedSpec().CoreDNSEnabled || !bmc.TypedSpec().ProxyEnabled {
		t.Fatalf("BootstrapManifestsConfig: %v %+v", err, bmc)
	}

	manifests, err := safe.StateListAll[*k8s.Manifest](ctx, c.COSI)
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	for m := range manifests.All() {
		names = append(names, m.Metadata().ID())
	}

	if want := "00-kubelet-bootstrapping-token,01-csr-approver-role-binding,01-csr-node-bootstrap,01-csr-renewal-role-binding,05-flannel," +
		"10-kube-proxy,11-core-dns,11-core-dns-svc,11-kube-config-in-cluster,11-talos-node-rbac-template"; strings.Join(names, ",") != want {
		t.Fatalf("Manifests %v, want %s", names, want)
	}

	if _, err := safe.StateGetByID[*k8s.APIServerConfig](ctx, c.COSI, k8s.APIServerConfigID); err != nil {
		t.Fatal(fmt.Errorf("APIServerConfig: %w", err))
	}
}
