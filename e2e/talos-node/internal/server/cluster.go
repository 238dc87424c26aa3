package server

import (
	"context"
	"crypto/tls"
	stdx509 "crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/cluster"
	"github.com/siderolabs/talos/pkg/cluster/check"
	"github.com/siderolabs/talos/pkg/conditions"
	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
	"github.com/siderolabs/talos/pkg/machinery/role"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// clusterService answers cluster.ClusterService/HealthCheck as machined does
// (internal/app/machined/internal/server/v1alpha1/v1alpha1_cluster.go, Talos v1.13.0): the default cluster checks
// run on the node, against the Talos API with the caller's roles and against Kubernetes through the node's
// kubeconfig.
type clusterService struct {
	clusterapi.UnimplementedClusterServiceServer

	s *Server
}

type clusterInfo struct {
	nodes  []cluster.NodeInfo
	byType map[machine.Type][]cluster.NodeInfo
}

func (c *clusterInfo) Nodes() []cluster.NodeInfo                     { return c.nodes }
func (c *clusterInfo) NodesByType(t machine.Type) []cluster.NodeInfo { return c.byType[t] }

type healthReporter struct {
	srv  clusterapi.ClusterService_HealthCheckServer
	last string
}

func (r *healthReporter) Update(c conditions.Condition) {
	line := strings.TrimSpace(fmt.Sprintf("waiting for %s", c))
	if line != r.last {
		_ = r.srv.Send(&clusterapi.HealthCheckProgress{Message: line}) //nolint:errcheck
		r.last = line
	}
}

func (cs *clusterService) HealthCheck(in *clusterapi.HealthCheckRequest, srv clusterapi.ClusterService_HealthCheckServer) error {
	ctx := srv.Context()
	n := target(ctx)

	ca, err := n.ControlPlaneOSCA("cluster health check")
	if err != nil {
		return err
	}

	c, err := cs.s.localClient(ctx, n.Address(), ca, rolesOf(ctx))
	if err != nil {
		return err
	}

	defer c.Close() //nolint:errcheck

	provider := &cluster.ConfigClientProvider{DefaultClient: c}
	defer provider.Close() //nolint:errcheck

	k8sProvider := &cluster.KubernetesClient{ClientProvider: provider, ForceEndpoint: in.GetClusterInfo().GetForceEndpoint()}
	defer k8sProvider.K8sClose() //nolint:errcheck

	checkCtx, cancel := context.WithTimeout(ctx, in.GetWaitTimeout().AsDuration())
	defer cancel()

	info, err := buildClusterInfo(checkCtx, in, n.Resources(), k8sProvider)
	if err != nil {
		return err
	}

	var ips []string
	for _, ni := range info.Nodes() {
		ips = append(ips, ni.InternalIP.String())
	}

	if err := srv.Send(&clusterapi.HealthCheckProgress{Message: fmt.Sprintf("discovered nodes: %q", ips)}); err != nil {
		return err
	}

	state := struct {
		cluster.ClientProvider
		cluster.K8sProvider
		cluster.Info
	}{provider, k8sProvider, info}

	return check.Wait(checkCtx, &state, append(check.DefaultClusterChecks(), check.ExtraClusterChecks()...), &healthReporter{srv: srv})
}

// buildClusterInfo uses the nodes of the request, or else the discovery members, or else the Kubernetes nodes.
func buildClusterInfo(ctx context.Context, in *clusterapi.HealthCheckRequest, res state.State, k8s *cluster.KubernetesClient) (cluster.Info, error) {
	cps, workers := in.GetClusterInfo().GetControlPlaneNodes(), in.GetClusterInfo().GetWorkerNodes()

	if len(cps) > 0 || len(workers) > 0 {
		cpInfos, err := cluster.IPsToNodeInfos(cps)
		if err != nil {
			return nil, err
		}

		wInfos, err := cluster.IPsToNodeInfos(workers)
		if err != nil {
			return nil, err
		}

		return &clusterInfo{
			nodes:  append(append([]cluster.NodeInfo{}, cpInfos...), wInfos...),
			byType: map[machine.Type][]cluster.NodeInfo{machine.TypeControlPlane: cpInfos, machine.TypeWorker: wInfos},
		}, nil
	}

	if members, err := safe.StateListAll[*clusterres.Member](ctx, res); err == nil && members.Len() > 0 {
		return check.NewDiscoveredClusterInfo(safe.ToSlice(members, func(m *clusterres.Member) *clusterres.Member { return m }))
	}

	cli, err := k8s.K8sClient(ctx)
	if err != nil {
		return nil, err
	}

	list, err := cli.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}

	info := &clusterInfo{byType: map[machine.Type][]cluster.NodeInfo{}}

	for _, node := range list.Items {
		var ni cluster.NodeInfo

		for _, a := range node.Status.Addresses {
			if a.Type == v1.NodeInternalIP || a.Type == v1.NodeExternalIP {
				ip, err := netip.ParseAddr(a.Address)
				if err != nil {
					return nil, err
				}

				if a.Type == v1.NodeInternalIP {
					ni.InternalIP = ip
				}

				ni.IPs = append(ni.IPs, ip)
			}
		}

		typ := machine.TypeWorker
		if _, ok := node.Labels[constants.LabelNodeRoleControlPlane]; ok {
			typ = machine.TypeControlPlane
		}

		info.byType[typ] = append(info.byType[typ], ni)
		info.nodes = append(info.nodes, ni)
	}

	return info, nil
}

// localClient is machined's local client: to the node's own API, with a client certificate of the caller's roles.
func (s *Server) localClient(ctx context.Context, address string, ca *x509.PEMEncodedCertificateAndKey, roles role.Set) (*client.Client, error) {
	authority, err := x509.NewCertificateAuthorityFromCertificateAndKey(ca)
	if err != nil {
		return nil, err
	}

	pair, err := x509.NewKeyPair(authority,
		x509.Organization(roles.Strings()...),
		x509.NotAfter(time.Now().Add(time.Hour)),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}),
	)
	if err != nil {
		return nil, err
	}

	pool := stdx509.NewCertPool()
	pool.AppendCertsFromPEM(ca.Crt)

	return client.New(ctx,
		client.WithTLSConfig(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{*pair.Certificate}, MinVersion: tls.VersionTLS13}),
		client.WithEndpoints(net.JoinHostPort(address, strconv.Itoa(s.Port()))),
	)
}
