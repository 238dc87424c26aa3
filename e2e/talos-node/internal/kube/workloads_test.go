package kube_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// namespace creates a namespace, privileged (pod-security.kubernetes.io/enforce: privileged) or not.
func namespace(t *testing.T, cs kubernetes.Interface, name string, privileged bool) {
	t.Helper()

	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if privileged {
		ns.Labels = map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}
	}

	if _, err := cs.CoreV1().Namespaces().Create(timeoutCtx(t, 20*time.Second), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func privilegedPod(name string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.PodSpec{
			HostNetwork: true,
			Containers: []v1.Container{{
				Name: "plugin", Image: "registry.example/plugin:1",
				SecurityContext: &v1.SecurityContext{Privileged: new(true)},
			}},
		},
	}
}

// csiDriver is a Synology-CSI-like driver: a privileged host-network node plugin (DaemonSet) and a controller
// (StatefulSet) selected by app=controller.
func csiDriver(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()

	ctx := timeoutCtx(t, 20*time.Second)
	labels := func(app string) map[string]string { return map[string]string{"app": app} }

	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "synology-csi-node"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels("node")},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels("node")},
				Spec: v1.PodSpec{
					HostNetwork: true,
					Containers: []v1.Container{
						{Name: "csi-plugin", Image: "synology/synology-csi:v1.2.0", SecurityContext: &v1.SecurityContext{Privileged: new(true)}},
						{Name: "csi-node-driver-registrar", Image: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.10.0"},
					},
				},
			},
		},
	}

	if _, err := cs.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "synology-csi-controller"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    new(int32(1)),
			ServiceName: "synology-csi-controller",
			Selector:    &metav1.LabelSelector{MatchLabels: labels("controller")},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels("controller")},
				Spec: v1.PodSpec{Containers: []v1.Container{
					{Name: "csi-plugin", Image: "synology/synology-csi:v1.2.0", SecurityContext: &v1.SecurityContext{Privileged: new(true)}},
					{Name: "csi-provisioner", Image: "registry.k8s.io/sig-storage/csi-provisioner:v4.0.0"},
				}},
			},
		},
	}

	if _, err := cs.AppsV1().StatefulSets(ns).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// podsReady is nil when there are want pods matching the selector and every one is Ready.
func podsReady(ctx context.Context, cs kubernetes.Interface, ns, selector string, want int) error {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return err
	}

	var notReady []string

	for i := range pods.Items {
		if !podIsReady(&pods.Items[i]) {
			notReady = append(notReady, pods.Items[i].Name+"("+string(pods.Items[i].Status.Phase)+")")
		}
	}

	if len(pods.Items) != want || len(notReady) > 0 {
		return fmt.Errorf("%s %s: %d pods (want %d), not ready: %v", ns, selector, len(pods.Items), want, notReady)
	}

	return nil
}

// podsRunningNotReady is nil when every pod of the selector (at least one) runs and none is Ready.
func podsRunningNotReady(ctx context.Context, cs kubernetes.Interface, ns, selector string) error {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return err
	}

	if len(pods.Items) == 0 {
		return fmt.Errorf("no pods %s in %s", selector, ns)
	}

	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase != v1.PodRunning || podIsReady(p) {
			return fmt.Errorf("pod %s: phase %s, ready %v", p.Name, p.Status.Phase, podIsReady(p))
		}
	}

	return nil
}

// checkPodSecurity: baseline is enforced cluster-wide (kube-system exempt): a privileged pod is refused in a
// namespace without the privileged label and admitted in one with it.
func checkPodSecurity(t *testing.T, cs kubernetes.Interface) {
	t.Helper()

	ctx := timeoutCtx(t, 20*time.Second)

	namespace(t, cs, "plain", false)
	namespace(t, cs, "privileged-ns", true)

	_, err := cs.CoreV1().Pods("plain").Create(ctx, privilegedPod("refused"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "baseline:latest"`) {
		t.Fatalf("a privileged pod in a namespace without the privileged label must be refused by baseline; got %v", err)
	}

	if _, err := cs.CoreV1().Pods("privileged-ns").Create(ctx, privilegedPod("admitted"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("a privileged pod in a privileged namespace must be admitted: %v", err)
	}

	if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, privilegedPod("exempt"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("kube-system is exempt: %v", err)
	}

	_ = cs.CoreV1().Pods("kube-system").Delete(ctx, "exempt", metav1.DeleteOptions{}) //nolint:errcheck
}
