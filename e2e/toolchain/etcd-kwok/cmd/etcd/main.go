// Command etcd is etcd's own server: the same one line as upstream's main package at the root of
// go.etcd.io/etcd/server/v3 (main.go). Built by its path that package would be named `server`; this copy
// gives the binary its name, etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
