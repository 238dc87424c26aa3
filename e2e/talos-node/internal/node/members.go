package node

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
)

// Cluster discovery: with cluster.discovery enabled, every configured node of a cluster lists the others (and
// itself) as cluster/Members, as the discovery service's affiliates make them; talosctl health without node lists,
// and machined's HealthCheck, build the cluster from them. A machine stays a member while it holds the cluster's
// configuration (the discovery service keeps affiliates that go down for a while); a reset drops it.

// nodeID is the node's discovery identity (Talos' is random per install; the address stands in).
func nodeID(address string) string {
	sum := sha256.Sum256([]byte("node-id/" + address))

	return base64.RawURLEncoding.EncodeToString(sum[:])[:43]
}

func (n *Node) publishMembers() {
	if n.res == nil || n.mode != ModeConfigured || n.cfg() == nil || n.cfg().Cluster() == nil {
		return
	}

	ctx := context.Background()
	want := map[string]*clusterres.MemberSpec{}

	if n.cfg().Cluster().Discovery().Enabled() {
		for _, addr := range n.c.order {
			m := n.c.nodes[addr]
			if m.persisted == nil || !m.installed || m.persisted.cfg.Cluster() == nil || m.persisted.cfg.Machine() == nil ||
				m.persisted.cfg.Cluster().ID() != n.cfg().Cluster().ID() {
				continue
			}

			ip, err := netip.ParseAddr(addr)
			if err != nil {
				continue
			}

			spec := &clusterres.MemberSpec{
				NodeID:          nodeID(addr),
				Addresses:       []netip.Addr{ip},
				Hostname:        m.hostname(),
				MachineType:     m.persisted.cfg.Machine().Type(),
				OperatingSystem: "Talos (" + m.version + ")",
			}

			if spec.MachineType == machine.TypeControlPlane || spec.MachineType == machine.TypeInit {
				spec.ControlPlane = &clusterres.ControlPlane{APIServerPort: m.persisted.cfg.Cluster().LocalAPIServerPort()}
			}

			want[spec.NodeID] = spec
		}
	}

	list, err := safe.StateListAll[*clusterres.Member](ctx, n.res)
	if err != nil {
		return
	}

	for m := range list.All() {
		if _, ok := want[m.Metadata().ID()]; !ok {
			_ = n.res.Destroy(ctx, m.Metadata()) //nolint:errcheck
		}
	}

	for id, spec := range want {
		if err := modify(ctx, n.res, clusterres.NewMember(clusterres.NamespaceName, id), func(r *clusterres.Member) { *r.TypedSpec() = *spec }); err != nil &&
			!state.IsConflictError(err) {
			n.c.logf("%s: publishing member %s: %v", n.spec.Address, id, err)
		}
	}
}
