package node

import (
	"fmt"
	"hash/fnv"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// etcdCluster is one etcd cluster (one Talos cluster ID) spread over control-plane nodes of the process.
type etcdCluster struct {
	id           string
	bootstrapper string
	members      map[string]*etcdMember // by node address
	revision     int64
}

type etcdMember struct {
	address string
	id      uint64
	name    string
}

// errNoLeader is what etcd clients get without quorum (machined passes it through).
var errNoLeader = status.Error(codes.Unavailable, "etcdserver: no leader")

func memberID(clusterID, address string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(clusterID + "/" + address)) //nolint:errcheck

	return h.Sum64() | 1
}

// etcdCluster is the cluster this node's configuration names, if it has been bootstrapped.
func (n *Node) etcdCluster() *etcdCluster {
	cfg := n.cfg()
	if cfg == nil {
		return nil
	}

	return n.c.etcd[cfg.Cluster().ID()]
}

// etcdRunning: etcd runs on a configured control plane whose data directory holds a member.
func (n *Node) etcdRunning() bool {
	return n.mode == ModeConfigured && n.isControlPlane() && n.etcdData && n.etcdCluster() != nil
}

// etcdQuorum: more than half of the members run.
func (n *Node) etcdQuorum() bool {
	ec := n.etcdCluster()
	if ec == nil {
		return false
	}

	up := 0

	for addr := range ec.members {
		if m := n.c.nodes[addr]; m != nil && m.etcdRunning() {
			up++
		}
	}

	return up*2 > len(ec.members)
}

// joinEtcd: a configured control plane of a bootstrapped cluster joins it (Talos' etcd service does this on start).
func (n *Node) joinEtcd() {
	if n.mode != ModeConfigured || !n.isControlPlane() || n.etcdData || n.busy != "" {
		return // a machine in a sequence (reset, upgrade) has its etcd stopped
	}

	ec := n.etcdCluster()
	if ec == nil {
		return
	}

	n.addMember(ec)
	n.etcdData = true
	n.c.logf("%s: etcd joined cluster %s (%d members)", n.spec.Address, ec.id, len(ec.members))
}

func (n *Node) addMember(ec *etcdCluster) {
	ec.members[n.spec.Address] = &etcdMember{address: n.spec.Address, id: memberID(ec.id, n.spec.Address), name: n.hostname()}
	ec.revision++
}

// bootstrap starts etcd as a new cluster here (machine.MachineService/Bootstrap).
func (n *Node) bootstrap() error {
	if n.mode != ModeConfigured {
		// the API only answers in configured mode with an admin certificate; in between, CRI is not up
		return status.Error(codes.FailedPrecondition, "bootstrap is not available yet")
	}

	if err := n.requireControlPlane("bootstrap"); err != nil {
		return err
	}

	if n.etcdData {
		return status.Error(codes.AlreadyExists, "etcd data directory is not empty")
	}

	id := n.cfg().Cluster().ID()
	ec := &etcdCluster{id: id, bootstrapper: n.spec.Address, members: map[string]*etcdMember{}, revision: 1}
	n.c.etcd[id] = ec
	n.addMember(ec)
	n.etcdData = true
	n.c.logf("%s: etcd bootstrapped (cluster %s)", n.spec.Address, id)

	return nil
}

// Bootstrap answers machine.MachineService/Bootstrap.
func (n *Node) Bootstrap() error {
	n.c.lock()
	defer n.c.unlock()

	if err := n.bootstrap(); err != nil {
		return err
	}

	n.c.refresh()

	return nil
}

// EtcdMembers answers machine.MachineService/EtcdMemberList.
func (n *Node) EtcdMembers() (*machine.EtcdMembers, error) {
	n.c.lock()
	defer n.c.unlock()

	if err := n.requireControlPlane("member list"); err != nil {
		return nil, err
	}

	if !n.etcdRunning() || !n.etcdQuorum() {
		return nil, errNoLeader
	}

	ec := n.etcdCluster()
	out := &machine.EtcdMembers{}

	for _, addr := range sortedKeys(ec.members) {
		m := ec.members[addr]
		out.LegacyMembers = append(out.LegacyMembers, m.name)
		out.Members = append(out.Members, &machine.EtcdMember{
			Id:         m.id,
			Hostname:   m.name,
			PeerUrls:   []string{fmt.Sprintf("https://%s:2380", m.address)},
			ClientUrls: []string{fmt.Sprintf("https://%s:2379", m.address)},
		})
	}

	return out, nil
}

// leaveEtcd removes this member (graceful reset); the last member cannot leave, as etcd refuses it.
func (n *Node) leaveEtcd() error {
	ec := n.etcdCluster()
	if ec == nil || !n.etcdData {
		return nil
	}

	if !n.etcdQuorum() {
		return fmt.Errorf("failed to remove member %d: %w", memberID(ec.id, n.spec.Address), errNoLeader)
	}

	others := 0

	for addr := range ec.members {
		if addr != n.spec.Address {
			if m := n.c.nodes[addr]; m != nil && m.etcdRunning() {
				others++
			}
		}
	}

	// etcd's strict reconfiguration check: the started members left must still make a quorum of the rest
	if others < (len(ec.members)-1)/2+1 {
		return fmt.Errorf("failed to remove member %d: etcdserver: re-configuration failed due to not enough started members",
			memberID(ec.id, n.spec.Address))
	}

	delete(ec.members, n.spec.Address)
	ec.revision++
	n.etcdData = false

	return nil
}

// wipeEtcd drops the local data directory (EPHEMERAL wiped); a member that did not leave stays listed, as in etcd.
func (n *Node) wipeEtcd() {
	ec := n.etcdCluster()
	n.etcdData = false

	if ec == nil {
		return
	}

	for addr := range ec.members {
		if m := n.c.nodes[addr]; m != nil && m.etcdData {
			return
		}
	}

	// no node holds this cluster's data any more: it is gone
	delete(n.c.etcd, ec.id)
}

// validateForUpgrade mirrors machined's etcd checks before a control-plane upgrade (without --force).
func (n *Node) validateForUpgrade() error {
	ec := n.etcdCluster()
	if ec == nil || !n.etcdQuorum() {
		return fmt.Errorf("failed to create etcd client: %w", errNoLeader)
	}

	if len(ec.members) == 2 {
		return fmt.Errorf("error validating etcd for upgrade: etcd member count(%d) is insufficient to maintain quorum if upgrade commences", len(ec.members))
	}

	for _, addr := range sortedKeys(ec.members) {
		m := ec.members[addr]
		if node := n.c.nodes[addr]; node == nil || !node.etcdRunning() {
			return fmt.Errorf("error validating etcd for upgrade: etcd member %016x is not healthy; all members must be healthy to perform an upgrade: "+
				"context deadline exceeded", m.id)
		}
	}

	return nil
}
