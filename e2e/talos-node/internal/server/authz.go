package server

import (
	"github.com/siderolabs/talos/pkg/machinery/role"
)

var (
	all      = role.MakeSet(role.Admin, role.Operator, role.Reader)
	operator = role.MakeSet(role.Admin, role.Operator)
	admin    = role.MakeSet(role.Admin)
)

// rules is machined's authorization table for the methods the stand-in serves (internal/app/machined/pkg/system/
// services/machined.go in Talos); methods not listed need os:admin, as there.
var rules = map[string]role.Set{
	"/machine.MachineService/ApplyConfiguration": role.MakeSet(role.Admin, role.Reader), // reader: maintenance only, checked by the handler
	"/machine.MachineService/Bootstrap":          admin,
	"/machine.MachineService/EtcdMemberList":     role.MakeSet(role.Admin, role.Operator, role.Reader, role.EtcdBackup),
	"/machine.MachineService/EtcdSnapshot":       role.MakeSet(role.Admin, role.Operator, role.EtcdBackup),
	"/machine.MachineService/Events":             all,
	"/machine.MachineService/Hostname":           all,
	"/machine.MachineService/ImagePull":          operator,
	"/machine.MachineService/Kubeconfig":         admin,
	"/machine.MachineService/Memory":             all,
	"/machine.MachineService/Read":               admin,
	"/machine.MachineService/Reboot":             operator,
	"/machine.MachineService/Reset":              admin,
	"/machine.MachineService/ServiceList":        all,
	"/machine.MachineService/Shutdown":           operator,
	"/machine.MachineService/Upgrade":            admin,
	"/machine.MachineService/Version":            all,
	"/machine.LifecycleService/Upgrade":          admin,
	"/machine.LifecycleService/Install":          admin,
	"/cosi.resource.State/Get":                   all,
	"/cosi.resource.State/List":                  all,
	"/cosi.resource.State/Watch":                 all,
	"/cosi.resource.State/Create":                admin,
	"/cosi.resource.State/Update":                admin,
	"/cosi.resource.State/Destroy":               admin,
	"/storage.StorageService/Disks":              all,
	"/cluster.ClusterService/HealthCheck":        all,
}

func allowed(method string, roles role.Set) bool {
	want, ok := rules[method]
	if !ok {
		want = admin
	}

	return want.IncludesAny(roles)
}
