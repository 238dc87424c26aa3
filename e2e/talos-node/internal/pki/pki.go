// Package pki makes the certificates a Talos node serves: a self-signed one in maintenance mode and one issued by
// the machine's OS CA (machine.ca) once configured, plus the admin kubeconfig's client certificate.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	stdx509 "crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/siderolabs/crypto/x509"
)

// ServerValidity is how long a served certificate is valid (apid's default is one year, refreshed at half-life).
const ServerValidity = 365 * 24 * time.Hour

// SelfSigned is the maintenance-mode identity: nothing is known about the machine yet, so the client cannot
// verify it (talosctl --insecure and the provider's probe skip verification).
func SelfSigned(address string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}

	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}

	now := time.Now()
	tmpl := &stdx509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"talos"}, CommonName: "maintenance-service"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(ServerValidity),
		KeyUsage:              stdx509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.ParseIP(address)},
	}

	der, err := stdx509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}

	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Issued is a configured node's identity: a server certificate for its address signed by the OS CA, and the pool
// client certificates must chain to (the issuing CA plus machine.acceptedCAs).
type Issued struct {
	Cert      tls.Certificate
	ClientCAs *stdx509.CertPool
}

// IssueServer signs a server certificate for address (and extra SANs) with the OS CA, as apid's secrets controller does.
func IssueServer(ca *x509.PEMEncodedCertificateAndKey, accepted []*x509.PEMEncodedCertificate, address string, sans []string) (*Issued, error) {
	if ca == nil || len(ca.Crt) == 0 || len(ca.Key) == 0 {
		return nil, fmt.Errorf("machine.ca: the OS certificate authority (crt and key) is missing")
	}

	authority, err := x509.NewCertificateAuthorityFromCertificateAndKey(ca)
	if err != nil {
		return nil, fmt.Errorf("machine.ca: %w", err)
	}

	ips := []net.IP{net.ParseIP(address)}

	var dns []string

	for _, san := range sans {
		if ip := net.ParseIP(san); ip != nil {
			ips = append(ips, ip)
		} else if san != "" {
			dns = append(dns, san)
		}
	}

	pair, err := x509.NewKeyPair(authority,
		x509.IPAddresses(ips),
		x509.DNSNames(dns),
		x509.CommonName(address),
		x509.NotBefore(time.Now().Add(-time.Minute)),
		x509.NotAfter(time.Now().Add(ServerValidity)),
		x509.KeyUsage(stdx509.KeyUsageDigitalSignature),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}),
	)
	if err != nil {
		return nil, fmt.Errorf("issuing the API server certificate: %w", err)
	}

	pool := stdx509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca.Crt) {
		return nil, fmt.Errorf("machine.ca: crt is not a PEM certificate")
	}

	for _, a := range accepted {
		if a != nil {
			pool.AppendCertsFromPEM(a.Crt)
		}
	}

	return &Issued{Cert: *pair.Certificate, ClientCAs: pool}, nil
}

// ClientCert is a client certificate and key in PEM.
type ClientCert struct {
	CertPEM, KeyPEM []byte
}

// IssueClient signs a client certificate (kubeconfig admin: O=system:masters) with the given CA.
func IssueClient(ca *x509.PEMEncodedCertificateAndKey, commonName string, organization string, lifetime time.Duration) (*ClientCert, error) {
	authority, err := x509.NewCertificateAuthorityFromCertificateAndKey(ca)
	if err != nil {
		return nil, err
	}

	pair, err := x509.NewKeyPair(authority,
		x509.CommonName(commonName),
		x509.Organization(organization),
		x509.NotBefore(time.Now().Add(-10*time.Second)),
		x509.NotAfter(time.Now().Add(lifetime)),
		x509.KeyUsage(stdx509.KeyUsageDigitalSignature|stdx509.KeyUsageKeyEncipherment),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}),
	)
	if err != nil {
		return nil, err
	}

	return &ClientCert{CertPEM: pair.CrtPEM, KeyPEM: pair.KeyPEM}, nil
}
