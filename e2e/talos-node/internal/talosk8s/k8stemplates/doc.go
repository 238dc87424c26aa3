// Package k8stemplates holds Talos' bootstrap manifest templates, copied verbatim (MPL-2.0) from Talos v1.13.0's
// internal/app/machined/pkg/controllers/k8s/internal/k8stemplates (an internal package, so it cannot be imported).
// Left out: apiserver.go (the encryption configuration, rendered by talosk8s.EncryptionConfig) and crds.go (the
// Talos API access CRD, which needs k8s.io/apiextensions-apiserver and the kubernetesTalosAPIAccess feature).
package k8stemplates
