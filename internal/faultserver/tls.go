package faultserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// CertKind is what is wrong with a generated certificate.
type CertKind int

// Certificate kinds. None of them chains to a root the client trusts,
// since each is signed by itself; Expired and WrongHost add one more reason
// for a verifying client to refuse.
const (
	// SelfSigned is valid now for 127.0.0.1 and localhost.
	SelfSigned CertKind = iota
	// Expired ended an hour ago.
	Expired
	// WrongHost names only a host the test never dials.
	WrongHost
)

func (k CertKind) String() string {
	switch k {
	case SelfSigned:
		return "self-signed"
	case Expired:
		return "expired"
	case WrongHost:
		return "wrong host"
	}
	return fmt.Sprintf("CertKind(%d)", int(k))
}

// Cert generates a certificate of the given kind with a fresh P-256 key,
// at test time, so no key material is committed.
func Cert(kind CertKind) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "perfkit faultserver"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	switch kind {
	case Expired:
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-48*time.Hour), now.Add(-time.Hour)
	case WrongHost:
		tmpl.DNSNames, tmpl.IPAddresses = []string{"perfkit-wrong-host.invalid"}, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
