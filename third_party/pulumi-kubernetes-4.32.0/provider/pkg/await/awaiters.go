// Copyright 2016-2022, Pulumi Corporation.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package await

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/jonboulle/clockwork"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/contract"
	logger "github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/await/condition"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/await/informers"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/clients"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/cluster"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/logging"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/openapi"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/watcher"
)

// awaitConfig specifies on which conditions we are to consider a resource created and fully
// initialized. For example, we might consider a `Deployment` created and initialized only when the
// live number of Pods reaches the minimum liveness threshold. `pool` and `disco` are provided
// typically from a client pool so that polling is reasonably efficient.
type awaitConfig struct {
	ctx               context.Context
	urn               resource.URN
	initialAPIVersion string
	logger            *logging.DedupLogger
	clientSet         *clients.DynamicClientSet
	inputs            *unstructured.Unstructured
	currentOutputs    *unstructured.Unstructured // The result of our create/update.
	// The state of the object before we changed it. `nil` if this is a create.
	lastOutputs    *unstructured.Unstructured
	timeout        *time.Duration
	clusterVersion *cluster.ServerVersion
	factory        informers.Factory
	clock          clockwork.Clock
}

// Clock returns a real or mock clock for the config as appropriate.
func (cac *awaitConfig) Clock() clockwork.Clock {
	if cac.clock != nil {
		return cac.clock
	}
	return clockwork.NewRealClock()
}

type (
	awaiter     func(awaitConfig) (*unstructured.Unstructured, error)
	readAwaiter func(awaitConfig) error
)

func (cac *awaitConfig) getTimeout(defaultSeconds int) time.Duration {
	if cac.timeout != nil {
		return *cac.timeout
	}
	return time.Duration(defaultSeconds) * time.Second
}

// --------------------------------------------------------------------------

// Await specifications.
//
// A map from Kubernetes group/version/kind -> await spec, which defines which conditions to wait
// for to determine whether a Kubernetes resource has been initialized correctly.

// --------------------------------------------------------------------------

const (
	appsV1Deployment                            = "apps/v1/Deployment"
	appsV1Beta1Deployment                       = "apps/v1beta1/Deployment"
	appsV1Beta2Deployment                       = "apps/v1beta2/Deployment"
	appsV1StatefulSet                           = "apps/v1/StatefulSet"
	appsV1Beta1StatefulSet                      = "apps/v1beta1/StatefulSet"
	appsV1Beta2StatefulSet                      = "apps/v1beta2/StatefulSet"
	appsV1DaemonSet                             = "apps/v1/DaemonSet"
	appsV1Beta1DaemonSet                        = "apps/v1beta1/DaemonSet"
	appsv1Beta2DaemonSet                        = "apps/v1beta2/DaemonSet"
	autoscalingV1HorizontalPodAutoscaler        = "autoscaling/v1/HorizontalPodAutoscaler"
	batchV1Job                                  = "batch/v1/Job"
	coreV1ConfigMap                             = "v1/ConfigMap"
	coreV1LimitRange                            = "v1/LimitRange"
	coreV1Namespace                             = "v1/Namespace"
	coreV1PersistentVolume                      = "v1/PersistentVolume"
	coreV1PersistentVolumeClaim                 = "v1/PersistentVolumeClaim"
	coreV1Pod                                   = "v1/Pod"
	coreV1ReplicationController                 = "v1/ReplicationController"
	coreV1ResourceQuota                         = "v1/ResourceQuota"
	coreV1Secret                                = "v1/Secret"
	coreV1Service                               = "v1/Service"
	coreV1ServiceAccount                        = "v1/ServiceAccount"
	extensionsV1Beta1Deployment                 = "extensions/v1beta1/Deployment"
	extensionsV1Beta1Ingress                    = "extensions/v1beta1/Ingress"
	extensionsV1Beta1DaemonSet                  = "extensions/v1beta1/DaemonSet"
	networkingV1Ingress                         = "networking.k8s.io/v1/Ingress"
	networkingV1Beta1Ingress                    = "networking.k8s.io/v1beta1/Ingress"
	rbacAuthorizationV1ClusterRole              = "rbac.authorization.k8s.io/v1/ClusterRole"
	rbacAuthorizationV1ClusterRoleBinding       = "rbac.authorization.k8s.io/v1/ClusterRoleBinding"
	rbacAuthorizationV1Role                     = "rbac.authorization.k8s.io/v1/Role"
	rbacAuthorizationV1RoleBinding              = "rbac.authorization.k8s.io/v1/RoleBinding"
	rbacAuthorizationV1Alpha1ClusterRole        = "rbac.authorization.k8s.io/v1alpha1/ClusterRole"
	rbacAuthorizationV1Alpha1ClusterRoleBinding = "rbac.authorization.k8s.io/v1alpha1/ClusterRoleBinding"
	rbacAuthorizationV1Alpha1Role               = "rbac.authorization.k8s.io/v1alpha1/Role"
	rbacAuthorizationV1Alpha1RoleBinding        = "rbac.authorization.k8s.io/v1alpha1/RoleBinding"
	rbacAuthorizationV1Beta1ClusterRole         = "rbac.authorization.k8s.io/v1beta1/ClusterRole"
	rbacAuthorizationV1Beta1ClusterRoleBinding  = "rbac.authorization.k8s.io/v1beta1/ClusterRoleBinding"
	rbacAuthorizationV1Beta1Role                = "rbac.authorization.k8s.io/v1beta1/Role"
	rbacAuthorizationV1Beta1RoleBinding         = "rbac.authorization.k8s.io/v1beta1/RoleBinding"
	storageV1StorageClass                       = "storage.k8s.io/v1/StorageClass"
)

type awaitSpec struct {
	await     func(awaitConfig) condition.Satisfier
	awaitRead readAwaiter
}

var deploymentAwaiter = awaitSpec{
	await: wrap(func(c awaitConfig) (*unstructured.Unstructured, error) {
		return makeDeploymentInitAwaiter(c).Await()
	}),
	awaitRead: func(c awaitConfig) error {
		return makeDeploymentInitAwaiter(c).Read()
	},
}

var ingressAwaiter = awaitSpec{
	await:     wrap(awaitIngressInit),
	awaitRead: awaitIngressRead,
}

var jobAwaiter = awaitSpec{
	await: wrap(func(c awaitConfig) (*unstructured.Unstructured, error) {
		return makeJobInitAwaiter(c).Await()
	}),
	awaitRead: func(c awaitConfig) error {
		return makeJobInitAwaiter(c).Read()
	},
}

var statefulsetAwaiter = awaitSpec{
	await: wrap(func(c awaitConfig) (*unstructured.Unstructured, error) {
		return makeStatefulSetInitAwaiter(c).Await()
	}),
	awaitRead: func(c awaitConfig) error {
		return makeStatefulSetInitAwaiter(c).Read()
	},
}

var daemonsetAwaiter = awaitSpec{
	await: wrap(func(c awaitConfig) (*unstructured.Unstructured, error) {
		return newDaemonSetAwaiter(c).Await()
	}),
	awaitRead: func(c awaitConfig) error {
		return newDaemonSetAwaiter(c).Read()
	},
}

// NOTE: Some GVKs below are blank so that we can distinguish between resource types that we know
// about, but don't require await logic, vs. resource types that we don't know about.

var awaiters = map[string]awaitSpec{
	appsV1DaemonSet:                      daemonsetAwaiter,
	appsV1Beta1DaemonSet:                 daemonsetAwaiter,
	appsv1Beta2DaemonSet:                 daemonsetAwaiter,
	appsV1Deployment:                     deploymentAwaiter,
	appsV1Beta1Deployment:                deploymentAwaiter,
	appsV1Beta2Deployment:                deploymentAwaiter,
	appsV1StatefulSet:                    statefulsetAwaiter,
	appsV1Beta1StatefulSet:               statefulsetAwaiter,
	appsV1Beta2StatefulSet:               statefulsetAwaiter,
	autoscalingV1HorizontalPodAutoscaler: { /* NONE */ },
	batchV1Job:                           jobAwaiter,
	coreV1ConfigMap:                      { /* NONE */ },
	coreV1LimitRange:                     { /* NONE */ },
	coreV1PersistentVolume: {
		await: wrap(untilCoreV1PersistentVolumeInitialized),
	},
	coreV1PersistentVolumeClaim: {
		await: wrap(untilCoreV1PersistentVolumeClaimReady),
	},
	coreV1Pod: {
		await:     wrap(awaitPodInit),
		awaitRead: awaitPodRead,
	},
	coreV1ReplicationController: {
		await: wrap(untilCoreV1ReplicationControllerInitialized),
	},
	coreV1ResourceQuota: {
		await: wrap(untilCoreV1ResourceQuotaInitialized),
	},
	coreV1Secret: {
		await: wrap(untilCoreV1SecretInitialized),
	},
	coreV1Service: {
		await:     wrap(awaitServiceInit),
		awaitRead: awaitServiceRead,
	},
	coreV1ServiceAccount: {
		await: wrap(untilCoreV1ServiceAccountInitialized),
	},
	extensionsV1Beta1DaemonSet:  daemonsetAwaiter,
	extensionsV1Beta1Deployment: deploymentAwaiter,
	extensionsV1Beta1Ingress:    ingressAwaiter,
	networkingV1Beta1Ingress:    ingressAwaiter,
	networkingV1Ingress:         ingressAwaiter,

	rbacAuthorizationV1ClusterRole:              { /* NONE */ },
	rbacAuthorizationV1ClusterRoleBinding:       { /* NONE */ },
	rbacAuthorizationV1Role:                     { /* NONE */ },
	rbacAuthorizationV1RoleBinding:              { /* NONE */ },
	rbacAuthorizationV1Alpha1ClusterRole:        { /* NONE */ },
	rbacAuthorizationV1Alpha1ClusterRoleBinding: { /* NONE */ },
	rbacAuthorizationV1Alpha1Role:               { /* NONE */ },
	rbacAuthorizationV1Alpha1RoleBinding:        { /* NONE */ },
	rbacAuthorizationV1Beta1ClusterRole:         { /* NONE */ },
	rbacAuthorizationV1Beta1ClusterRoleBinding:  { /* NONE */ },
	rbacAuthorizationV1Beta1Role:                { /* NONE */ },
	rbacAuthorizationV1Beta1RoleBinding:         { /* NONE */ },
	storageV1StorageClass:                       { /* NONE */ },
}

// --------------------------------------------------------------------------

// Awaiters.
//
// A collection of functions that block until some operation (e.g., create, delete) on a given
// resource is completed. For example, in the case of `v1.Service` we will create the object and
// then wait until it is fully initialized and ready to receive traffic.

// --------------------------------------------------------------------------

// core/v1/PersistentVolume

// --------------------------------------------------------------------------

func untilCoreV1PersistentVolumeInitialized(c awaitConfig) (*unstructured.Unstructured, error) {
	available := string(corev1.VolumeAvailable)
	bound := string(corev1.VolumeBound)
	pvAvailableOrBound := func(pv *unstructured.Unstructured) bool {
		phase, _ := openapi.Pluck(pv.Object, "status", "phase")
		logger.V(3).Infof("Persistent volume %q status received: %#v", pv.GetName(), phase)
		switch phase {
		case available:
			c.logger.LogStatus(diag.Info, "✅ PV marked available")
		case bound:
			c.logger.LogStatus(diag.Info, "✅ PV has been bound")
		}
		return phase == available || phase == bound
	}

	client, err := c.clientSet.ResourceClientForObject(c.currentOutputs)
	if err != nil {
		return c.currentOutputs, err
	}
	return watcher.ForObject(c.ctx, client, c.currentOutputs.GetName()).
		WatchUntil(pvAvailableOrBound, 5*time.Minute)
}

// --------------------------------------------------------------------------

// core/v1/PersistentVolumeClaim

// --------------------------------------------------------------------------

func untilCoreV1PersistentVolumeClaimReady(c awaitConfig) (*unstructured.Unstructured, error) {
	var bindMode string
	pvcReady := func(pvc *unstructured.Unstructured) bool {
		// Lookup the PVC's storage class once it's available.
		if bindMode == "" {
			b, err := pvcBindMode(c.ctx, c.clientSet, pvc)
			if err != nil {
				c.logger.LogStatus(diag.Warning, err.Error())
			}
			bindMode = b
		}

		phase, _, _ := unstructured.NestedString(pvc.Object, "status", "phase")
		logger.V(3).Infof("Persistent volume claim %s status received: %#v", pvc.GetName(), phase)

		// Only during Create do we need to await ClaimPending to change to ClaimBound.
		// In an Update, the claim is already bound, and will never change phase.
		if c.lastOutputs != nil && phase == string(corev1.ClaimBound) {
			// We are not in Create, and our PVC is bound already.
			return true
		}

		if bindMode == string(storagev1.VolumeBindingWaitForFirstConsumer) {
			return phase == string(corev1.ClaimPending)
		}
		return phase == string(corev1.ClaimBound)
	}

	client, err := c.clientSet.ResourceClientForObject(c.currentOutputs)
	if err != nil {
		return c.currentOutputs, err
	}
	return watcher.ForObject(c.ctx, client, c.currentOutputs.GetName()).
		WatchUntil(pvcReady, 5*time.Minute)
}

// pvcBindMode attempts to fetch a PVC's StorageClass and returns its
// volumeBindingMode.
func pvcBindMode(
	ctx context.Context,
	clientset *clients.DynamicClientSet,
	pvc *unstructured.Unstructured,
) (string, error) {
	gvk := storagev1.SchemeGroupVersion.WithKind("StorageClass")
	scClient, err := clientset.ResourceClient(gvk, "")
	if err != nil {
		return "", fmt.Errorf("getting storageclass client: %w", err)
	}
	name, _, err := unstructured.NestedString(pvc.Object, "spec", "storageClassName")
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("no storage class found for %q", pvc.GetName())
	}
	sc, err := scClient.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("getting storagclass %q: %w", name, err)
	}
	bindMode, _, err := unstructured.NestedString(sc.Object, "volumeBindingMode")
	return bindMode, err
}

// --------------------------------------------------------------------------

// core/v1/ReplicationController

// --------------------------------------------------------------------------

func replicationControllerSpecReplicas(rc *unstructured.Unstructured) (any, bool) {
	return openapi.Pluck(rc.Object, "spec", "replicas")
}

func untilCoreV1ReplicationControllerInitialized(c awaitConfig) (*unstructured.Unstructured, error) {
	availableReplicas := func(rc *unstructured.Unstructured) (any, bool) {
		return openapi.Pluck(rc.Object, "status", "availableReplicas")
	}

	name := c.currentOutputs.GetName()

	replicas, _ := openapi.Pluck(c.currentOutputs.Object, "spec", "replicas")
	logger.V(3).Infof("Waiting for replication controller %q to schedule '%v' replicas",
		name, replicas)

	client, err := c.clientSet.ResourceClientForObject(c.currentOutputs)
	if err != nil {
		return c.currentOutputs, err
	}
	// 10 mins should be sufficient for scheduling ~10k replicas
	obj, err := watcher.ForObject(c.ctx, client, name).
		WatchUntil(
			waitForDesiredReplicasFunc(replicationControllerSpecReplicas, availableReplicas),
			10*time.Minute)
	if err != nil {
		return obj, err
	}
	// We could wait for all pods to actually reach Ready state
	// but that means checking each pod status separately (which can be expensive at scale)
	// as there's no aggregate data available from the API

	logger.V(3).Infof("Replication controller %q initialized: %#v", name,
		c.currentOutputs)

	return obj, nil
}

// --------------------------------------------------------------------------

// core/v1/ResourceQuota

// --------------------------------------------------------------------------

func untilCoreV1ResourceQuotaInitialized(c awaitConfig) (*unstructured.Unstructured, error) {
	rqInitialized := func(quota *unstructured.Unstructured) bool {
		hardRaw, _ := openapi.Pluck(quota.Object, "spec", "hard")
		hardStatusRaw, _ := openapi.Pluck(quota.Object, "status", "hard")

		hard, hardIsMap := hardRaw.(map[string]any)
		hardStatus, hardStatusIsMap := hardStatusRaw.(map[string]any)
		if hardIsMap && hardStatusIsMap && reflect.DeepEqual(hard, hardStatus) {
			logger.V(3).Infof("ResourceQuota %q initialized: %#v", quota.GetName(),
				quota)
			return true
		}
		logger.V(3).Infof("Quotas don't match after creation.\nExpected: %#v\nGiven: %#v",
			hard, hardStatus)
		return false
	}

	client, err := c.clientSet.ResourceClientForObject(c.currentOutputs)
	if err != nil {
		return c.currentOutputs, err
	}
	return watcher.ForObject(c.ctx, client, c.currentOutputs.GetName()).
		WatchUntil(rqInitialized, 1*time.Minute)
}

// --------------------------------------------------------------------------

// core/v1/Secret

// --------------------------------------------------------------------------

func untilCoreV1SecretInitialized(c awaitConfig) (*unstructured.Unstructured, error) {
	//
	// Some types secrets do not have data available immediately and therefore are not considered initialized where data
	// map is empty. For example service-account-token as described in the docs:
	// https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#to-create-additional-api-tokens
	//
	secretType, _ := openapi.Pluck(c.currentOutputs.Object, "type")

	// Other secret types are not generated by controller therefore we do not need to create a watcher for them.
	// nolint:gosec
	if secretType != "kubernetes.io/service-account-token" {
		return c.currentOutputs, nil
	}

	secretDataAllocated := func(secret *unstructured.Unstructured) bool {
		data, _ := openapi.Pluck(secret.Object, "data")
		if secretData, isMap := data.(map[string]any); isMap {
			// We don't need to wait for any specific initialization. Most of the time we create a secret with
			// empty data which are propagated by controller so it's enough to check if data map is not empty.
			return len(secretData) > 0
		}
		return false
	}

	client, err := c.clientSet.ResourceClientForObject(c.currentOutputs)
	if err != nil {
		return c.currentOutputs, err
	}

	return watcher.ForObject(c.ctx, client, c.currentOutputs.GetName()).
		WatchUntil(secretDataAllocated, 5*time.Second)
}

// --------------------------------------------------------------------------

// core/v1/ServiceAccount

// --------------------------------------------------------------------------

func untilCoreV1ServiceAccountInitialized(c awaitConfig) (*unstructured.Unstructured, error) {
	// k8s v1.24 changed the default secret provisioning behavior for ServiceAccount resources, so don't wait for
	// clusters >= v1.24 to provision a secret before marking the resource as ready.
	// https://github.com/kubernetes/kubernetes/blob/v1.24.3/CHANGELOG/CHANGELOG-1.24.md#urgent-upgrade-notes
	contract.Assertf(c.clusterVersion != nil, "clusterVersion must be set")
	if c.clusterVersion.Compare(cluster.ServerVersion{Major: 1, Minor: 24}) >= 0 {
		return c.currentOutputs, nil
	}

	//
	// A ServiceAccount is considered initialized when the controller adds the default secret to the
	// secrets array (i.e., in addition to the secrets specified by the user).
	//

	specSecrets, _ := openapi.Pluck(c.currentOutputs.Object, "secrets")
	var numSpecSecrets int
	if specSecretsArr, isArr := specSecrets.([]any); isArr {
		numSpecSecrets = len(specSecretsArr)
	} else {
		numSpecSecrets = 0
	}

	defaultSecretAllocated := func(sa *unstructured.Unstructured) bool {
		secrets, _ := openapi.Pluck(sa.Object, "secrets")
		logger.V(3).Infof("ServiceAccount %q contains secrets: %#v", sa.GetName(), secrets)
		if secretsArr, isArr := secrets.([]any); isArr {
			numSecrets := len(secretsArr)
			logger.V(3).Infof("ServiceAccount %q has allocated '%d' of '%d' secrets",
				sa.GetName(), numSecrets, numSpecSecrets+1)
			return numSecrets > numSpecSecrets
		}
		return false
	}

	client, err := c.clientSet.ResourceClientForObject(c.currentOutputs)
	if err != nil {
		return c.currentOutputs, err
	}

	return watcher.ForObject(c.ctx, client, c.currentOutputs.GetName()).
		WatchUntil(defaultSecretAllocated, 5*time.Minute)
}

// --------------------------------------------------------------------------

// Awaiter utilities.

// --------------------------------------------------------------------------

// waitForDesiredReplicasFunc takes an object whose job is to replicate pods, and blocks (polling)
// it until the desired replicas are the same as the current replicas. The user provides two
// functions to obtain the replicas spec and status fields, as well as a client to access them.
func waitForDesiredReplicasFunc(
	getReplicasSpec func(*unstructured.Unstructured) (any, bool),
	getReplicasStatus func(*unstructured.Unstructured) (any, bool),
) watcher.Predicate {
	return func(replicator *unstructured.Unstructured) bool {
		desiredReplicas, hasReplicasSpec := getReplicasSpec(replicator)
		fullyLabeledReplicas, hasReplicasStatus := getReplicasStatus(replicator)

		logger.V(3).Infof("Current number of labelled replicas of %q: '%d' (of '%d')\n",
			replicator.GetName(), fullyLabeledReplicas, desiredReplicas)

		if hasReplicasSpec && hasReplicasStatus && fullyLabeledReplicas == desiredReplicas {
			return true
		}

		logger.V(3).Infof("Waiting for '%d' replicas of %q to be scheduled (have: '%d')",
			desiredReplicas, replicator.GetName(), fullyLabeledReplicas)
		return false
	}
}
