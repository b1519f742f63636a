// Package sshsig makes and checks SSH signatures of files in the format of OpenSSH's
// `ssh-keygen -Y sign` (PROTOCOL.sshsig in the OpenSSH sources), and reads the
// allowed_signers files that `ssh-keygen -Y verify` trusts (the ALLOWED SIGNERS section of
// ssh-keygen(1)). A person checks what Shepherd signs with ssh-keygen alone.
//
// It is built on golang.org/x/crypto/ssh, which parses the keys and makes and checks the
// raw signatures; the sshsig envelope around them is a few length-prefixed fields.
package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Namespace is the one namespace Shepherd signs release checksums in. A signature made
// for another purpose (a git commit, a file signed with another namespace) never passes
// as a release's, and a verifier names it on the command line: -n sha256sums@shepherd-release.
const Namespace = "sha256sums@shepherd-release"

const (
	magic         = "SSHSIG"
	version       = 1
	hashAlgorithm = "sha512"
	armorBegin    = "-----BEGIN SSH SIGNATURE-----"
	armorEnd      = "-----END SSH SIGNATURE-----"
	// armorWidth is the line length ssh-keygen writes (sshbuf_dtob64 with 70 columns).
	armorWidth = 70
)

// ParsePrivateKey reads an unencrypted OpenSSH (or PEM) private key and returns a signer
// for it. Only key types whose signatures are deterministic are accepted, so that a
// release signed again after a crash gets the same bytes: Ed25519 and RSA (signed as
// rsa-sha2-512). ECDSA signatures are randomised and are refused for signing.
func ParsePrivateKey(pemBytes []byte) (ssh.Signer, error) {
	key, err := ssh.ParseRawPrivateKey(pemBytes)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, errors.New("the key is protected by a passphrase; the release job cannot type one (store an unencrypted key in the secret)")
	}
	if err != nil {
		return nil, fmt.Errorf("not an SSH private key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, err
	}
	switch t := signer.PublicKey().Type(); t {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA:
		return signer, nil
	default:
		return nil, fmt.Errorf("%s keys make a different signature each time, so a release signed again would change; use an ed25519 key (ssh-keygen -t ed25519)", t)
	}
}

// Sign signs message in namespace and returns the armored signature, as
// `ssh-keygen -Y sign -n namespace` writes it.
func Sign(signer ssh.Signer, namespace string, message io.Reader) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("a signature needs a namespace")
	}
	digest, err := hashWith(hashAlgorithm, message)
	if err != nil {
		return nil, err
	}
	data := signedData(namespace, hashAlgorithm, digest)
	var sig *ssh.Signature
	if as, ok := signer.(ssh.AlgorithmSigner); ok && signer.PublicKey().Type() == ssh.KeyAlgoRSA {
		// PROTOCOL.sshsig: RSA signatures must not use SHA-1 ("ssh-rsa").
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	blob := ssh.Marshal(envelope{magicBytes(), version, signer.PublicKey().Marshal(), namespace, "", hashAlgorithm, ssh.Marshal(sig)})
	return armor(blob), nil
}

// envelope is the signature blob of PROTOCOL.sshsig, in its field order.
type envelope struct {
	Magic     [6]byte
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	Hash      string
	Signature []byte
}

// Signature is a parsed SSH signature.
type Signature struct {
	PublicKey ssh.PublicKey
	Namespace string
	Hash      string
	sig       *ssh.Signature
}

// Parse reads an armored SSH signature.
func Parse(armored []byte) (*Signature, error) {
	text := strings.TrimSpace(string(armored))
	body, ok := strings.CutPrefix(text, armorBegin)
	if !ok {
		return nil, errors.New("not an SSH signature: it does not start with " + armorBegin)
	}
	body, ok = strings.CutSuffix(body, armorEnd)
	if !ok {
		return nil, errors.New("not an SSH signature: it does not end with " + armorEnd)
	}
	blob, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil {
		return nil, fmt.Errorf("not an SSH signature: %w", err)
	}
	var raw envelope
	if err := ssh.Unmarshal(blob, &raw); err != nil {
		return nil, fmt.Errorf("not an SSH signature: %w", err)
	}
	if raw.Magic != magicBytes() {
		return nil, errors.New("not an SSH signature: wrong magic")
	}
	if raw.Version != version {
		return nil, fmt.Errorf("SSH signature version %d (only %d exists)", raw.Version, version)
	}
	if raw.Hash != "sha512" && raw.Hash != "sha256" {
		return nil, fmt.Errorf("SSH signature over hash %q (expected sha512 or sha256)", raw.Hash)
	}
	pub, err := ssh.ParsePublicKey(raw.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("the signature's public key: %w", err)
	}
	sig := new(ssh.Signature)
	if err := ssh.Unmarshal(raw.Signature, sig); err != nil {
		return nil, fmt.Errorf("the signature's signature field: %w", err)
	}
	if pub.Type() == ssh.KeyAlgoRSA && sig.Format == ssh.KeyAlgoRSA {
		return nil, errors.New("an RSA signature made with SHA-1 (ssh-rsa), which PROTOCOL.sshsig does not allow")
	}
	return &Signature{PublicKey: pub, Namespace: raw.Namespace, Hash: raw.Hash, sig: sig}, nil
}

// Verify checks that s signs message in namespace with its own public key. Whether that
// key is trusted is the allowed signers' question (AllowedSigners.Check).
func (s *Signature) Verify(namespace string, message io.Reader) error {
	if s.Namespace != namespace {
		return fmt.Errorf("the signature is for namespace %q, not %q", s.Namespace, namespace)
	}
	digest, err := hashWith(s.Hash, message)
	if err != nil {
		return err
	}
	raw := signedData(namespace, s.Hash, digest)
	if err := s.PublicKey.Verify(raw, s.sig); err != nil {
		return errors.New("the signature does not match the signed file (the file changed after signing, or the signature is of another file)")
	}
	return nil
}

// Fingerprint is the key's SHA-256 fingerprint as ssh-keygen -l prints it.
func Fingerprint(k ssh.PublicKey) string { return ssh.FingerprintSHA256(k) }

func magicBytes() (m [6]byte) {
	copy(m[:], magic)
	return m
}

func hashWith(name string, r io.Reader) ([]byte, error) {
	h := sha512.New()
	if name == "sha256" {
		h = sha256.New()
	}
	if _, err := io.Copy(h, r); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// signedData is what the key signs: the message's digest wrapped with the namespace, so
// that a signature cannot be replayed in another namespace.
func signedData(namespace, hashName string, digest []byte) []byte {
	return ssh.Marshal(struct {
		Magic     [6]byte
		Namespace string
		Reserved  string
		Hash      string
		Digest    []byte
	}{magicBytes(), namespace, "", hashName, digest})
}

func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > armorWidth {
		b.WriteString(enc[:armorWidth] + "\n")
		enc = enc[armorWidth:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return b.Bytes()
}
