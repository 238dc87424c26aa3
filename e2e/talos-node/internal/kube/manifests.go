package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/blang/semver/v4"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/hashicorp/go-multierror"
	"github.com/siderolabs/go-kubernetes/kubernetes/ssa"
	"github.com/siderolabs/go-kubernetes/kubernetes/ssa/object"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"homelab.local/e2e/talos-node/internal/node"
)

// applyManifests applies the bootstrap manifests of a control plane's k8s.Manifest resources the way machined's
// ManifestApplyController of the node's Talos version does (internal/app/machined/pkg/controllers/k8s/
// manifest_apply.go): namespaces first, then CRDs, objects already in the cluster left alone; Talos ≥ 1.13
// server-side applies new ones with field manager "talos", the inventory annotation and the
// talos-bootstrap-manifests-inventory (v1.13.0), older Talos creates them with field manager "talos" (v1.12.1). It
// runs again whenever the Manifests change (their versions).
func (cp *controlPlane) applyManifests(ctx context.Context, group []node.KubeNode) error {
	var (
		source    *node.KubeNode
		manifests []*k8s.Manifest
		key       strings.Builder
	)

	for i := range group {
		n := &group[i]
		if n.ControlPlane && n.Configured && (source == nil || n.Bootstrapper) {
			source = n
		}
	}

	if source == nil {
		return nil
	}

	list, err := safe.StateListAll[*k8s.Manifest](ctx, source.Resources)
	if err != nil {
		return err
	}

	for m := range list.All() {
		manifests = append(manifests, m)
		fmt.Fprintf(&key, "%s@%s;", m.Metadata().ID(), m.Metadata().Version())
	}

	if len(manifests) == 0 {
		return nil
	}

	cp.kubelet.mu.Lock()
	done := cp.kubelet.manifests == key.String()
	cp.kubelet.mu.Unlock()

	if done {
		return nil
	}

	clientset, ok := cp.client.(*kubernetes.Clientset)
	if !ok {
		return fmt.Errorf("unexpected client %T", cp.client)
	}

	dc, err := discovery.NewDiscoveryClientForConfig(cp.rest)
	if err != nil {
		return err
	}

	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))

	if legacyManifestApply(source.TalosVersion) {
		return cp.applyLegacy(ctx, mapper, objectsOf(manifests), source.TalosVersion, key.String())
	}

	inv, err := ssa.GetInventory(ctx, clientset, constants.KubernetesInventoryNamespace, constants.KubernetesBootstrapManifestsInventoryName)
	if err != nil {
		return fmt.Errorf("error getting inventory: %w", err)
	}

	objects := objectsOf(manifests)

	contents, applyErr := applyObjects(ctx, mapper, cp.dyn, objects, inv.Get())

	inv.Update(contents)

	if err := inv.Write(ctx); err != nil {
		return fmt.Errorf("updating inventory failed: %w", err)
	}

	if applyErr != nil {
		return applyErr
	}

	cp.kubelet.mu.Lock()
	cp.kubelet.manifests = key.String()
	cp.kubelet.mu.Unlock()

	cp.logf("bootstrap manifests applied (%d objects)", len(objects))

	return nil
}

func objectsOf(manifests []*k8s.Manifest) []*unstructured.Unstructured {
	var objects []*unstructured.Unstructured

	for _, m := range manifests {
		for _, item := range m.TypedSpec().Items {
			objects = append(objects, (&unstructured.Unstructured{Object: item.Object}).DeepCopy())
		}
	}

	return objects
}

// legacyManifestApply: Talos before 1.13 creates the bootstrap manifests without an inventory.
func legacyManifestApply(talosVersion string) bool {
	v, err := semver.ParseTolerant(talosVersion)

	return err == nil && (v.Major < 1 || (v.Major == 1 && v.Minor < 13))
}

func (cp *controlPlane) applyLegacy(ctx context.Context, mapper *restmapper.DeferredDiscoveryRESTMapper, objects []*unstructured.Unstructured, version, key string) error {
	sortObjects(objects)

	var multiErr *multierror.Error

	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		objName := fmt.Sprintf("%s/%s/%s/%s", gvk.Group, gvk.Version, gvk.Kind, obj.GetName())

		dr, err := resourceFor(mapper, cp.dyn, obj)
		if err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsInvalid(err) || meta.IsNoMatchError(err) {
				multiErr = multierror.Append(multiErr, fmt.Errorf("error creating mapping for object %s: %w", objName, err))

				continue
			}

			return fmt.Errorf("error creating mapping for object %s: %w", objName, err)
		}

		if _, err = dr.Get(ctx, obj.GetName(), metav1.GetOptions{}); err == nil {
			continue
		} else if !apierrors.IsNotFound(err) {
			return fmt.Errorf("error checking resource existence: %w", err)
		}

		if _, err = dr.Create(ctx, obj, metav1.CreateOptions{FieldManager: "talos"}); err != nil {
			switch {
			case apierrors.IsAlreadyExists(err):
			case apierrors.IsMethodNotSupported(err), apierrors.IsBadRequest(err), apierrors.IsInvalid(err):
				multiErr = multierror.Append(multiErr, fmt.Errorf("error creating %s: %w", objName, err))
			default:
				return fmt.Errorf("error creating %s: %w", objName, err)
			}
		}
	}

	if err := multiErr.ErrorOrNil(); err != nil {
		return err
	}

	cp.kubelet.mu.Lock()
	cp.kubelet.manifests = key
	cp.kubelet.mu.Unlock()

	cp.logf("bootstrap manifests created (%d objects, as Talos %s does: no inventory)", len(objects), version)

	return nil
}

func sortObjects(objects []*unstructured.Unstructured) {
	sort.SliceStable(objects, func(i, j int) bool {
		l, r := objects[i].GroupVersionKind(), objects[j].GroupVersionKind()

		switch {
		case isNamespace(l) && isNamespace(r):
			return objects[i].GetName() < objects[j].GetName()
		case isNamespace(l):
			return true
		case isNamespace(r):
			return false
		case isCRD(l) && isCRD(r):
			return objects[i].GetName() < objects[j].GetName()
		case isCRD(l):
			return true
		default:
			return false
		}
	})
}

// resourceFor is the dynamic client of an object's kind (namespaced ones default to "default").
func resourceFor(mapper *restmapper.DeferredDiscoveryRESTMapper, dyn dynamic.Interface, obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()

	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}

	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(corev1.NamespaceDefault)
		}

		return dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace()), nil
	}

	return dyn.Resource(mapping.Resource), nil
}

func isNamespace(gvk schema.GroupVersionKind) bool {
	return gvk.Kind == "Namespace" && gvk.Version == "v1"
}

func isCRD(gvk schema.GroupVersionKind) bool {
	return gvk.Kind == "CustomResourceDefinition" && gvk.Group == "apiextensions.k8s.io"
}

//nolint:gocyclo,cyclop
func applyObjects(ctx context.Context, mapper *restmapper.DeferredDiscoveryRESTMapper, dyn dynamic.Interface, objects []*unstructured.Unstructured,
	inv object.ObjMetadataSet,
) (object.ObjMetadataSet, error) {
	sortObjects(objects)

	var multiErr *multierror.Error

	for _, obj := range objects {
		gvk := obj.GroupVersionKind()
		objName := fmt.Sprintf("%s/%s/%s/%s", gvk.Group, gvk.Version, gvk.Kind, obj.GetName())

		objMeta, err := object.RuntimeToObjMeta(obj)
		if err != nil {
			return nil, fmt.Errorf("failed to retrieve object metadata of %q: %w", objName, err)
		}

		if inv.Contains(objMeta) {
			continue
		}

		dr, err := resourceFor(mapper, dyn, obj)
		if err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsInvalid(err) || meta.IsNoMatchError(err) {
				multiErr = multierror.Append(multiErr, fmt.Errorf("error creating mapping for object %s: %w", objName, err))

				continue
			}

			return nil, fmt.Errorf("error creating mapping for object %s: %w", objName, err)
		}

		if _, err = dr.Get(ctx, obj.GetName(), metav1.GetOptions{}); err == nil {
			inv = inv.Union(object.ObjMetadataSet{objMeta})

			continue
		} else if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("error checking resource existence: %w", err)
		}

		annotations := obj.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}

		if v, set := annotations[ssa.InventoryAnnotationKey]; set && v != constants.KubernetesBootstrapManifestsInventoryName {
			multiErr = multierror.Append(multiErr, fmt.Errorf("unexpected foreign inventory annotation on %s ", objName))

			continue
		}

		annotations[ssa.InventoryAnnotationKey] = constants.KubernetesBootstrapManifestsInventoryName
		obj.SetAnnotations(annotations)

		if _, err = dr.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: constants.KubernetesFieldManagerName}); err != nil {
			if apierrors.IsMethodNotSupported(err) || apierrors.IsBadRequest(err) || apierrors.IsInvalid(err) {
				multiErr = multierror.Append(multiErr, fmt.Errorf("error creating %s: %w", objName, err))

				continue
			}

			return nil, fmt.Errorf("error creating %s: %w", objName, err)
		}

		inv = inv.Union(object.ObjMetadataSet{objMeta})
	}

	return inv, multiErr.ErrorOrNil()
}
